import type { ErrorCode } from "../core/errors.js";

/**
 * What the client itself can fail with, besides the service's codes: no answer (`NETWORK_ERROR`),
 * no answer in time (`TIMEOUT`), the caller's signal (`ABORTED`), or an answer that is not the
 * service's (`INVALID_RESPONSE`, such as a proxy's HTML page).
 */
export type ClientFailureCode = "NETWORK_ERROR" | "TIMEOUT" | "ABORTED" | "INVALID_RESPONSE";

export type OtpClientErrorCode = ErrorCode | ClientFailureCode;

export interface OtpClientErrorDetails {
  /** HTTP status; 0 when no answer came. */
  status: number;
  message: string;
  attemptsRemaining?: number;
  retryAfterSeconds?: number;
  /** The context to send with the next attempt (INVALID_OTP). */
  context?: string;
  /** Which limit refused the request (RATE_LIMITED). */
  limit?: string;
  /** The X-Request-Id of the request, to find it in the service's logs. */
  requestId?: string;
  cause?: unknown;
}

/**
 * Every failure of the client, with the service's stable code to branch on. Its message is the
 * service's (which never holds a secret) or the client's own; never the API key.
 */
export class OtpClientError extends Error {
  override readonly name = "OtpClientError";
  readonly errorCode: OtpClientErrorCode;
  readonly status: number;
  readonly attemptsRemaining?: number;
  readonly retryAfterSeconds?: number;
  readonly context?: string;
  readonly limit?: string;
  readonly requestId?: string;

  constructor(errorCode: OtpClientErrorCode, details: OtpClientErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.errorCode = errorCode;
    this.status = details.status;
    if (details.attemptsRemaining !== undefined) this.attemptsRemaining = details.attemptsRemaining;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.context !== undefined) this.context = details.context;
    if (details.limit !== undefined) this.limit = details.limit;
    if (details.requestId !== undefined) this.requestId = details.requestId;
  }
}

export function isOtpClientError(value: unknown): value is OtpClientError {
  return value instanceof OtpClientError;
}
