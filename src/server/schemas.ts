/**
 * The one schema source for the /v1 routes: Fastify validates requests and serialises responses
 * with these, and /openapi.json is built from the same objects.
 */
import { AUDIT_ACTIONS, MAX_PAGE_SIZE } from "../audit/audit-log.js";
import { MAX_CONTEXT_CHARS, NAME_PATTERN } from "../core/limits.js";

export const clientSchema = {
  type: "object",
  description: "The end user's address and browser, for rate limits and audit.",
  additionalProperties: false,
  properties: {
    ip: { type: "string", maxLength: 45, anyOf: [{ format: "ipv4" }, { format: "ipv6" }] },
    userAgent: { type: "string", maxLength: 512 },
  },
} as const;

// No minLength: an empty context is left to the engine, which calls it MISSING_FIELDS as it does
// an empty code (the schema would call it INVALID_REQUEST).
const context = {
  type: "string",
  description: `The sealed context token from the previous step (at most ${MAX_CONTEXT_CHARS} characters).`,
} as const;
const purpose = {
  type: "string",
  pattern: NAME_PATTERN,
  description: "What the code protects, such as `login` or `password_reset`.",
} as const;
const identifier = {
  type: "string",
  minLength: 1,
  maxLength: 320,
  description: "Email address or phone number (E.164 or national with a default country).",
} as const;
const timestamp = { type: "string", format: "date-time" } as const;
const metadata = {
  type: "object",
  description: "Your data, sealed into the context and returned on approval (at most 5 KB).",
  additionalProperties: true,
} as const;

/**
 * A request body: an object that refuses a field it does not declare (a misspelt field is a 400,
 * never silently ignored), with its required fields first when it has any.
 */
function requestBody<const P extends Record<string, unknown>>(
  properties: P,
): { type: "object"; additionalProperties: false; properties: P };
function requestBody<const R extends readonly string[], const P extends Record<string, unknown>>(
  properties: P,
  required: R,
): { type: "object"; required: R; additionalProperties: false; properties: P };
function requestBody(properties: Record<string, unknown>, required?: readonly string[]) {
  return { type: "object", ...(required !== undefined && { required }), additionalProperties: false, properties };
}

export const errorSchema = {
  type: "object",
  required: ["error", "error_code"],
  properties: {
    error: { type: "string" },
    error_code: { type: "string" },
    attempts_remaining: { type: "integer" },
    retry_after_seconds: { type: "integer" },
    limit: { type: "string", description: "Which limit refused the request (RATE_LIMITED)." },
    context: { type: "string" },
  },
} as const;

export const startBody = requestBody(
  {
    identifier,
    purpose,
    channel: { type: "string", pattern: NAME_PATTERN, description: "Channel name; by default the one for the identifier's kind." },
    metadata,
    locale: { type: "string", pattern: "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$", description: "BCP 47 language tag for the message." },
    client: clientSchema,
  },
  ["identifier", "purpose"],
);

export const issuedResponse = {
  type: "object",
  required: ["id", "context", "status", "channel", "expiresAt", "sessionExpiresAt"],
  properties: {
    id: { type: "string" },
    context,
    status: { type: "string", enum: ["pending"] },
    channel: { type: "string" },
    expiresAt: timestamp,
    sessionExpiresAt: timestamp,
  },
} as const;

export const checkBody = requestBody(
  {
    context,
    code: { type: "string", maxLength: 64, description: "The digits the user typed." },
    purpose: { ...purpose, description: "The purpose the code is checked for: the context must have been issued for it." },
    identifier: { ...identifier, description: "When given, the context must have been issued to this identifier." },
    client: clientSchema,
  },
  ["context", "code", "purpose"],
);

export const approvedResponse = {
  type: "object",
  required: ["status", "id", "identifier", "purpose", "metadata"],
  properties: {
    status: { type: "string", enum: ["approved"] },
    id: { type: "string" },
    identifier: { type: "string" },
    purpose: { type: "string" },
    metadata: { type: ["object", "null"], additionalProperties: true },
  },
} as const;

export const resendBody = requestBody({ context, locale: startBody.properties.locale, client: clientSchema }, ["context"]);

export const cancelBody = requestBody({ context }, ["context"]);

export const canceledResponse = {
  type: "object",
  required: ["id", "status"],
  properties: { id: { type: "string" }, status: { type: "string", enum: ["canceled"] } },
} as const;

const auditAction = { type: "string", enum: AUDIT_ACTIONS } as const;
const nullableString = { type: ["string", "null"] } as const;

/** The filters both audit routes take. */
const auditFilterProperties = {
  identifier: {
    ...identifier,
    description: "One person's rows: normalised and hashed as the engine does, under every key (rows from before a rotation too).",
  },
  identifierKind: { type: "string", enum: ["email", "phone"], description: "How to read `identifier`; inferred when absent." },
  verificationId: {
    type: "string",
    minLength: 1,
    maxLength: 256,
    description: "Not indexed alone: combine with `identifier` or a time range on a large log.",
  },
  purpose: { ...purpose, description: "Rows for this purpose." },
  action: { anyOf: [auditAction, { type: "array", items: auditAction, minItems: 1, maxItems: AUDIT_ACTIONS.length }] },
  status: { type: "string", minLength: 1, maxLength: 256, description: "An error code, or pending, approved, canceled, delivered." },
  from: { ...timestamp, description: "Inclusive." },
  to: { ...timestamp, description: "Exclusive." },
} as const;

export const auditQueryBody = requestBody({
  ...auditFilterProperties,
  limit: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, description: "Rows per page (default 100)." },
  cursor: { type: "string", minLength: 1, maxLength: 512, description: "`nextCursor` of the previous page." },
});

export const auditExportBody = requestBody(auditFilterProperties);

const auditRow = {
  type: "object",
  required: [
    "eventId",
    "verificationId",
    "action",
    "status",
    "purpose",
    "channel",
    "identifierHash",
    "identifierMasked",
    "attempts",
    "metadata",
    "clientIp",
    "userAgent",
    "traceId",
    "at",
  ],
  properties: {
    eventId: { type: "string" },
    verificationId: nullableString,
    action: auditAction,
    status: { type: "string" },
    purpose: nullableString,
    channel: nullableString,
    identifierHash: nullableString,
    identifierMasked: { ...nullableString, description: "For display: u***@example.com, +1415*****23." },
    attempts: { type: ["integer", "null"] },
    metadata: { type: ["object", "null"], additionalProperties: true },
    clientIp: nullableString,
    userAgent: nullableString,
    traceId: { ...nullableString, description: "The X-Request-Id of the request that caused the row." },
    at: timestamp,
  },
} as const;

export const auditPageResponse = {
  type: "object",
  required: ["rows"],
  properties: {
    rows: { type: "array", items: auditRow, description: "Newest first." },
    nextCursor: { type: "string", description: "Present when more rows match." },
  },
} as const;

/** Error responses each route can give, for the OpenAPI document. */
export const errorResponses = {
  400: {
    ...errorSchema,
    description: "MISSING_FIELDS, INVALID_REQUEST, INVALID_IDENTIFIER, INVALID_CODE_FORMAT, INVALID_OTP, INVALID_CONTEXT, CONTEXT_MISMATCH",
  },
  401: { ...errorSchema, description: "UNAUTHORIZED: missing or wrong API key" },
  410: { ...errorSchema, description: "OTP_EXPIRED, SESSION_EXPIRED, ALREADY_USED, CANCELED" },
  413: { ...errorSchema, description: "PAYLOAD_TOO_LARGE" },
  429: { ...errorSchema, description: "MAX_RETRIES_EXCEEDED, RATE_LIMITED (with a Retry-After header)" },
  502: { ...errorSchema, description: "DELIVERY_FAILED" },
  503: { ...errorSchema, description: "STORE_UNAVAILABLE: the store did not answer, or a strict audit log is full; nothing was done" },
} as const;

/** What the audit routes can answer besides 200: no code, no context, no delivery is involved. */
export const auditErrorResponses = {
  400: { ...errorSchema, description: "INVALID_REQUEST (a malformed filter or cursor), INVALID_IDENTIFIER" },
  401: errorResponses[401],
  413: errorResponses[413],
  503: { ...errorSchema, description: "STORE_UNAVAILABLE: the audit log did not answer" },
} as const;

/** The answer of every route that takes a JSON body to a body of another type. */
export const unsupportedMediaTypeResponse = { ...errorSchema, description: "UNSUPPORTED_MEDIA_TYPE: the body is not JSON" } as const;
