import type { ErrorCode } from "../core/errors.js";

/**
 * What the client itself can fail with, besides the service's codes: no answer (`NETWORK_ERROR`),
 * no answer in time (`TIMEOUT`), the caller's signal (`ABORTED`), or an answer that is not the
 * service's (`INVALID_RESPONSE`, such as a proxy's HTML page).
 */
export type ClientFailureCode = "NETWORK_ERROR" | "TIMEOUT" | "ABORTED" | "INVALID_RESPONSE";

/** What an OtpClientError's `errorCode` can be: one of the service's codes, or the client's own. */
export type OtpClientErrorCode = ErrorCode | ClientFailureCode;

/** What an OtpClientError is built from, besides its code. */
export interface OtpClientErrorDetails {
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** The service's `error` message, or the client's own. */
  message: string;
  /** Attempts left on the verification (INVALID_OTP). */
  attemptsRemaining?: number;
  /** Seconds until a retry can succeed (RATE_LIMITED). */
  retryAfterSeconds?: number;
  /** The context to send with the next attempt (INVALID_OTP). */
  context?: string;
  /** Which limit refused the request (RATE_LIMITED). */
  limit?: string;
  /** The X-Request-Id of the request, to find it in the service's logs. */
  requestId?: string;
  /** The underlying error, such as the fetch's or the JSON parser's. */
  cause?: unknown;
}

/**
 * Every failure of the client, with the service's stable code to branch on. Its message is the
 * service's (which never holds a secret) or the client's own; never the API key.
 */
export class OtpClientError extends Error {
  /** Always `OtpClientError`. */
  override readonly name = "OtpClientError";
  /** The stable code to branch on: the service's `error_code`, or the client's own failure. */
  readonly errorCode: OtpClientErrorCode;
  /** HTTP status; 0 when no answer came. */
  readonly status: number;
  /** Attempts left on the verification (INVALID_OTP). */
  readonly attemptsRemaining?: number;
  /** Seconds until a retry can succeed (RATE_LIMITED): the body's, else the Retry-After header's. */
  readonly retryAfterSeconds?: number;
  /** The context to send with the next attempt (INVALID_OTP). */
  readonly context?: string;
  /** Which limit refused the request (RATE_LIMITED). */
  readonly limit?: string;
  /** The X-Request-Id the service answered with, to find the request in its logs. */
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

/** True when `value` is an OtpClientError. */
export function isOtpClientError(value: unknown): value is OtpClientError {
  return value instanceof OtpClientError;
}
