/**
 * The same two behaviours for Web `Request`/`Response` handlers (Next.js route handlers, Hono via
 * `c.req.raw`, Bun, Deno):
 *
 *   export const POST = otpVerified(otp, { purpose: "password_reset" }, async (request, { otpContext, body }) =>
 *     Response.json({ ok: true, user: otpContext.identifier }));
 */
import { OtpError } from "../core/errors.js";
import type { Otp } from "../otp.js";
import type { ClientInfo } from "../telemetry/events.js";
import { bindHandle, failureResponse, methodIsChecked, verifyBody, type OtpContext, type OtpHandle, type VerifiedOptions } from "./shared.js";

export type { OtpContext, OtpHandle } from "./shared.js";
export { DEFAULT_VERIFIED_METHODS } from "./shared.js";

export interface FetchVerifiedOptions extends VerifiedOptions<Request> {
  /** The end user's IP and agent; a Web Request does not carry the peer address. */
  client?: (request: Request) => ClientInfo | undefined;
}

export interface VerifiedArgs {
  /** Null when the method is not checked. */
  otpContext: OtpContext | null;
  /** The parsed JSON body (the body stream is consumed by the check). */
  body: unknown;
}

export type VerifyResult = { ok: true; otpContext: OtpContext; body: unknown } | { ok: false; response: Response };

/** The JSON response for a failure, with the Django library's body. */
export function otpErrorResponse(error: unknown): Response {
  const failure = failureResponse(error);
  return Response.json(failure.body, { status: failure.status, headers: failure.headers });
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return undefined;
  }
}

/** Reads and verifies `otp` and `context` from the request's JSON body. */
export async function verifyRequest(otp: Otp, request: Request, options: FetchVerifiedOptions): Promise<VerifyResult> {
  const body = await readJson(request);
  try {
    const identifier = options.identifier ? await options.identifier(request) : undefined;
    const otpContext = await verifyBody(otp, body, options.purpose, identifier, options.client?.(request));
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
  return async (request, ...rest) => {
    if (!methodIsChecked(request.method, options.methods)) return handler(request, { otpContext: null, body: undefined }, ...rest);
    const result = await verifyRequest(otp, request, options);
    if (!result.ok) return result.response;
    return handler(request, { otpContext: result.otpContext, body: result.body }, ...rest);
  };
}

/** Wraps a handler that gets `otp.generate(...)` / `start` / `resend`. */
export function otpProtected<Rest extends unknown[]>(
  otp: Otp,
  handler: (request: Request, protectedArgs: { otp: OtpHandle }, ...rest: Rest) => Response | Promise<Response>,
  options: { client?: (request: Request) => ClientInfo | undefined } = {},
): (request: Request, ...rest: Rest) => Promise<Response> {
  return async (request, ...rest) => handler(request, { otp: bindHandle(otp, options.client?.(request)) }, ...rest);
}
