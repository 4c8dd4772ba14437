/**
 * The one registry of failures. Every failure the engine, a store, a channel or the service can
 * report has a stable `code` (what callers branch on), an HTTP status and a generic message.
 * Messages never contain secrets or user input.
 */
export const ERRORS = {
  MISSING_FIELDS: { status: 400, message: "The code and context are required and must be strings." },
  INVALID_REQUEST: { status: 400, message: "The request is malformed." },
  INVALID_IDENTIFIER: { status: 400, message: "The identifier is not a valid email address or phone number." },
  INVALID_CODE_FORMAT: { status: 400, message: "The code must be a string of the expected number of ASCII digits." },
  INVALID_OTP: { status: 400, message: "Invalid OTP." },
  INVALID_CONTEXT: { status: 400, message: "Invalid context." },
  CONTEXT_MISMATCH: { status: 400, message: "The context was issued for another purpose or identifier." },
  UNAUTHORIZED: { status: 401, message: "A valid API key is required." },
  INSUFFICIENT_SCOPE: { status: 403, message: "The API key's scopes do not allow this request." },
  HOST_NOT_ALLOWED: { status: 403, message: "This development server answers only requests addressed to a loopback host." },
  NOT_FOUND: { status: 404, message: "Not found." },
  REQUEST_TIMEOUT: { status: 408, message: "The request was not received in time." },
  OTP_EXPIRED: { status: 410, message: "The OTP has expired." },
  SESSION_EXPIRED: { status: 410, message: "The verification session has expired." },
  ALREADY_USED: { status: 410, message: "The OTP has already been used." },
  CANCELED: { status: 410, message: "The verification was canceled." },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The payload is too large." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "The body must be JSON." },
  EXPECTATION_FAILED: { status: 417, message: "The Expect header names an expectation this server does not support." },
  MAX_RETRIES_EXCEEDED: { status: 429, message: "Maximum attempts exceeded." },
  RATE_LIMITED: { status: 429, message: "Too many requests. Try again later." },
  HEADERS_TOO_LARGE: { status: 431, message: "The request headers are too large." },
  DELIVERY_FAILED: { status: 502, message: "The code could not be delivered." },
  STORE_UNAVAILABLE: { status: 503, message: "The verification store is unavailable." },
  INTERNAL: { status: 500, message: "Internal error." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface OtpErrorDetails {
  /** Attempts left on this verification (INVALID_OTP). */
  attemptsRemaining?: number;
  /** Seconds until a retry can succeed (RATE_LIMITED). */
  retryAfterSeconds?: number;
  /** The context to send with the next attempt (INVALID_OTP). */
  context?: string;
  /** Which limit refused the request (RATE_LIMITED). */
  limit?: string;
  /** A more specific message; must never contain a secret. */
  message?: string;
  cause?: unknown;
}

/** The body every HTTP surface answers with: the Django library's shape, so its clients work. */
export interface OtpErrorBody {
  error: string;
  error_code: ErrorCode;
  attempts_remaining?: number;
  retry_after_seconds?: number;
  /** Which limit refused the request (RATE_LIMITED), as the guard names it: `failures_per_identifier_and_ip`, … */
  limit?: string;
  context?: string;
}

export class OtpError extends Error {
  override readonly name = "OtpError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly attemptsRemaining?: number;
  readonly retryAfterSeconds?: number;
  readonly context?: string;
  readonly limit?: string;

  constructor(code: ErrorCode, details: OtpErrorDetails = {}) {
    super(details.message ?? ERRORS[code].message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = ERRORS[code].status;
    if (details.attemptsRemaining !== undefined) this.attemptsRemaining = details.attemptsRemaining;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.context !== undefined) this.context = details.context;
    if (details.limit !== undefined) this.limit = details.limit;
  }

  toBody(): OtpErrorBody {
    const body: OtpErrorBody = { error: this.message, error_code: this.code };
    if (this.attemptsRemaining !== undefined) body.attempts_remaining = this.attemptsRemaining;
    if (this.retryAfterSeconds !== undefined) body.retry_after_seconds = this.retryAfterSeconds;
    if (this.limit !== undefined) body.limit = this.limit;
    if (this.context !== undefined) body.context = this.context;
    return body;
  }
}

export function isOtpError(value: unknown): value is OtpError {
  return value instanceof OtpError;
}
