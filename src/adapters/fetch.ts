/**
 * The same two behaviours for Web `Request`/`Response` handlers (Next.js route handlers, Hono via
 * `c.req.raw`, Bun, Deno):
 *
 *   export const POST = otpVerified(otp, { purpose: "password_reset" }, async (request, { otpContext, body }) =>
 *     Response.json({ ok: true, user: otpContext.identifier }));
 *
 * An `OtpError` thrown inside a wrapped handler answers `{ error, error_code, … }` with its
 * status; `withOtpErrors(handler)` does the same for a handler of its own.
 */
import { OtpError } from "../core/errors.js";
import type { Otp } from "../engine/types.js";
import type { ClientInfo } from "../contracts/events.js";
import {
  bindHandle,
  codeFieldsOf,
  failureResponse,
  methodIsChecked,
  requiredIdentifier,
  verifyBody,
  type OtpContext,
  type OtpHandle,
  type VerifiedOptions,
} from "./shared.js";

export type { OtpContext, OtpHandle, VerifiedOptions } from "./shared.js";
export { DEFAULT_CODE_FIELDS, UNCHECKED_METHODS } from "./shared.js";

/** Options of the fetch adapter's `otpVerified`: the route's check, the client and the body limit. */
export interface FetchVerifiedOptions extends VerifiedOptions<Request> {
  /** The end user's IP and agent; a Web Request does not carry the peer address. */
  client?: (request: Request) => ClientInfo | undefined;
  /**
   * Larger bodies are refused with PAYLOAD_TOO_LARGE (413) before they are read whole. Default
   * 100 KiB, as Express's JSON parser: a Web Request has no limit of its own.
   */
  bodyLimitBytes?: number;
}

const DEFAULT_BODY_LIMIT_BYTES = 100 * 1024;

/** What the handler gets besides the request. */
export interface VerifiedArgs {
  /** Null when the method is not checked. */
  otpContext: OtpContext | null;
  /** The parsed JSON body (the body stream is consumed by the check). */
  body: unknown;
}

/** A check's result: the verification and the parsed body, or the error response to return. */
export type VerifyResult =
  | {
      /** The check passed. */
      ok: true;
      /** The verification that passed. */
      otpContext: OtpContext;
      /** The parsed JSON body. */
      body: unknown;
    }
  | {
      /** The check failed. */
      ok: false;
      /** The error response to return. */
      response: Response;
    };

/**
 * The JSON response for a failure: an `OtpError`'s status and `{ error, error_code, … }`; anything
 * else is 500 INTERNAL, its message left out.
 */
export function otpErrorResponse(error: unknown): Response {
  const failure = failureResponse(error);
  return Response.json(failure.body, { status: failure.status, headers: failure.headers });
}

/**
 * Wraps a handler so that an `OtpError` it throws (a refused `otp.start`, `resend`, `revoke`…)
 * answers with `otpErrorResponse`. Other errors are thrown on, to the framework's own handler.
 */
export function withOtpErrors<Args extends unknown[]>(
  handler: (...args: Args) => Response | Promise<Response>,
): (...args: Args) => Promise<Response> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      if (error instanceof OtpError) return otpErrorResponse(error);
      throw error;
    }
  };
}

/**
 * The JSON body, read no further than `limit` bytes; undefined when there is none or it is not
 * JSON (the check then finds no fields). A declared length over the limit is refused unread.
 */
async function readJson(request: Request, limit: number): Promise<unknown> {
  const tooLarge = () => new OtpError("PAYLOAD_TOO_LARGE", { message: "The request body is too large." });
  if (Number(request.headers.get("content-length")) > limit) throw tooLarge();
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    if (!request.body) return undefined;
    reader = request.body.getReader();
  } catch {
    return undefined; // already read by someone else
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || value === undefined) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
  } catch {
    return undefined;
  }
}

/** Reads and verifies the code (`code`, or `otp`) and `context` from the request's JSON body. */
export async function verifyRequest(otp: Otp, request: Request, options: FetchVerifiedOptions): Promise<VerifyResult> {
  try {
    const codeFields = codeFieldsOf(options.codeField, "verifyRequest");
    const body = await readJson(request, options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES);
    const identifier = await requiredIdentifier(options.identifier, request);
    const transaction = await options.transaction?.(request);
    const otpContext = await verifyBody(otp, body, options.purpose, identifier, options.client?.(request), codeFields, transaction);
    return { ok: true, otpContext, body };
  } catch (error) {
    if (!(error instanceof OtpError)) throw error;
    return { ok: false, response: otpErrorResponse(error) };
  }
}

/** Wraps a handler that runs only after its code was accepted. */
export function otpVerified<Rest extends unknown[]>(
  otp: Otp,
  options: FetchVerifiedOptions,
  handler: (request: Request, verified: VerifiedArgs, ...rest: Rest) => Response | Promise<Response>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  if (typeof options?.purpose !== "string") throw new TypeError("otp-actions: otpVerified needs { purpose }");
  const limit = options.bodyLimitBytes;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
    throw new TypeError("otp-actions: otpVerified bodyLimitBytes must be a positive integer");
  codeFieldsOf(options.codeField, "otpVerified");
  return withOtpErrors(async (request: Request, ...rest: Rest) => {
    if (!methodIsChecked(request.method, options.methods)) return handler(request, { otpContext: null, body: undefined }, ...rest);
    const result = await verifyRequest(otp, request, options);
    if (!result.ok) return result.response;
    return handler(request, { otpContext: result.otpContext, body: result.body }, ...rest);
  });
}

/** Wraps a handler that gets `otp.generate(...)` / `start` / `resend` / `verify` / `revoke`. */
export function otpProtected<Rest extends unknown[]>(
  otp: Otp,
  handler: (request: Request, protectedArgs: { otp: OtpHandle }, ...rest: Rest) => Response | Promise<Response>,
  options: { client?: (request: Request) => ClientInfo | undefined } = {},
): (request: Request, ...rest: Rest) => Promise<Response> {
  return withOtpErrors(async (request: Request, ...rest: Rest) =>
    handler(request, { otp: bindHandle(otp, options.client?.(request)) }, ...rest),
  );
}
