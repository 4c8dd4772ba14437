/**
 * Express middleware: the parts the Django decorators `otp_protected` and `otp_verified` played.
 *
 *   app.post("/password-reset/request", otpProtected(otp), async (req, res) => {
 *     const { context } = await req.otp.start({ identifier: req.body.email, purpose: "password_reset" });
 *     res.json({ context });
 *   });
 *   app.post("/password-reset", express.json(), otpVerified(otp, { purpose: "password_reset" }), handler);
 *   app.use(otpErrorHandler()); // after the routes: every OtpError answers { error, error_code, … }
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { OtpError } from "../core/errors.js";
import type { Otp } from "../engine/types.js";
import {
  bindHandle,
  clientInfo,
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

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `otpProtected`. */
      otp?: OtpHandle;
      /** Set by `otpVerified` once the code was accepted. */
      otpContext?: OtpContext;
    }
  }
}

/** The request as Express sees it, with `otp` present (for handlers after `otpProtected`). */
export type OtpProtectedRequest = Request & {
  /** The engine bound to this request's client. */
  otp: OtpHandle;
};

function clientOf(req: Request) {
  // req.ip honours the app's own "trust proxy" setting.
  return clientInfo(req.ip, req.headers["user-agent"]);
}

/** Gives the handler `req.otp.generate(...)`, `req.otp.start(...)` and `req.otp.resend(...)`. */
export function otpProtected(otp: Otp): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    req.otp = bindHandle(otp, clientOf(req));
    next();
  };
}

/**
 * Verifies the code (`code`, or `otp`) and `context` from the JSON body (mount `express.json()`
 * before it). On success sets `req.otpContext` and calls the handler; on failure answers with the
 * error's status and body, `{ error, error_code, … }`, and the handler never runs.
 */
export function otpVerified(otp: Otp, options: VerifiedOptions<Request>): RequestHandler {
  if (typeof options?.purpose !== "string") throw new TypeError("otp-actions: otpVerified needs { purpose }");
  const codeFields = codeFieldsOf(options.codeField, "otpVerified");
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!methodIsChecked(req.method, options.methods)) {
      // Whatever an earlier check on this request verified is not this route's.
      req.otpContext = undefined;
      return next();
    }
    try {
      const identifier = await requiredIdentifier(options.identifier, req);
      const transaction = await options.transaction?.(req);
      req.otpContext = await verifyBody(otp, req.body, options.purpose, identifier, clientOf(req), codeFields, transaction);
    } catch (error) {
      // Programming errors go to the app's error handler; verification failures are answered here.
      if (!(error instanceof OtpError)) return next(error);
      sendFailure(res, error);
      return;
    }
    next();
  };
}

/**
 * Error middleware, mounted after the routes: an `OtpError` thrown by any handler (a refused
 * `req.otp.start`, `resend`, `revoke`…) answers its status and `{ error, error_code, … }`, with
 * `Retry-After` where it has one. Anything else goes on to the app's own error handler untouched.
 */
export function otpErrorHandler(): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    // A response already under way cannot change its status; Express's handler closes it.
    if (!(error instanceof OtpError) || res.headersSent) return next(error);
    sendFailure(res, error);
  };
}

function sendFailure(res: Response, error: OtpError): void {
  const failure = failureResponse(error);
  res.status(failure.status).set(failure.headers).json(failure.body);
}
