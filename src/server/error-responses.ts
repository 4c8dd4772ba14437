/**
 * A route's error answers for its schema, from the codes it can give: each code's status comes
 * from the registry (src/core/errors.ts), so the document cannot list a code under a status the
 * service never answers it with. One entry per status, naming its codes, with an example body.
 */
import { ERRORS, type ErrorCode } from "../core/errors.js";
import { ref } from "./schemas.js";

/** In the form Fastify and the document share: the Error schema, with an example body per code. */
export interface ErrorResponse {
  description: string;
  content: {
    "application/json": {
      schema: { $ref: "Error#" };
      examples: Record<string, { value: { error: string; error_code: ErrorCode } }>;
    };
  };
}

/** Notes that say more than the code's name, for the response's description. */
const NOTES: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: "missing or wrong API key",
  INSUFFICIENT_SCOPE: "the key lacks the scope `security` names",
  CSRF_TOKEN_INVALID: "a change made with the console's session cookie, without its X-CSRF-Token",
  HOST_NOT_ALLOWED: "development only: Host is no loopback name",
  RATE_LIMITED: "with a Retry-After header",
  UNSUPPORTED_MEDIA_TYPE: "the body is not JSON",
  STORE_UNAVAILABLE:
    "the store, the audit log or where alert rules are saved did not answer, or a strict audit log is full; nothing was done",
};

export function errorResponses(...codes: readonly ErrorCode[]): Record<number, ErrorResponse> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, ErrorResponse> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: group.map((code) => (NOTES[code] ? `${code} (${NOTES[code]})` : code)).join(", "),
      content: {
        "application/json": {
          schema: ref("Error"),
          examples: Object.fromEntries(group.map((code) => [code, { value: { error: ERRORS[code].message, error_code: code } }])),
        },
      },
    };
  }
  return responses;
}
