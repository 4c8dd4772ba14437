/** One entry of the error registry. */
export interface ErrorSpec {
  /** The HTTP status the service answers with. */
  readonly status: number;
  /** The generic message; never a secret or user input. */
  readonly message: string;
  /** One line saying when the code is reported: the "when" column of docs/errors.md, generated from here. */
  readonly when: string;
}

// One entry a block, in the order of docs/errors.md, so that adding a code is adding a block.
const REGISTRY = {
  MISSING_FIELDS: {
    status: 400,
    message: "The code and context are required and must be strings.",
    when: "code or context absent, empty, or not a string; in the service's check, `purpose` absent or not a string too",
  },
  INVALID_REQUEST: {
    status: 400,
    message: "The request is malformed.",
    when: "a malformed request: bad purpose, metadata not a JSON object, unknown channel, unknown field, a malformed audit filter or cursor; in the service also a URL that does not decode and malformed HTTP",
  },
  INVALID_IDENTIFIER: {
    status: 400,
    message: "The identifier is not a valid email address or phone number.",
    when: 'not a valid email address or phone number; the message names the kind it was taken for (the channel\'s, else an address for anything with an "@" or not starting like a number)',
  },
  INVALID_CODE_FORMAT: {
    status: 400,
    message: "The code must be a string of the expected number of ASCII digits.",
    when: "the code is not 6–10 ASCII digits, or not the length this verification uses; no attempt is used",
  },
  INVALID_OTP: {
    status: 400,
    message: "Invalid OTP.",
    when: "wrong code; the body has `attempts_remaining` and `context` (for a TOTP factor or a recovery code, neither)",
  },
  INVALID_CONTEXT: {
    status: 400,
    message: "Invalid context.",
    when: "the token fails to open: tampered, truncated, unknown key, wrong version",
  },
  CONTEXT_MISMATCH: {
    status: 400,
    message: "The context was issued for another purpose or identifier.",
    when: "the token was issued for another purpose or identifier than this check names (no attempt is used), or for another transaction (or none, or one where none was bound): that check uses an attempt and the body has `attempts_remaining` and `context`",
  },
  INVALID_FACTOR: {
    status: 400,
    message: "Invalid factor.",
    when: "a TOTP factor blob fails to open: not a string, tampered, truncated, sealed by a key no longer listed, another version",
  },
  UNAUTHORIZED: {
    status: 401,
    message: "A valid API key is required.",
    when: "service only: missing or wrong API key",
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    message: "The API key's scopes do not allow this request.",
    when: "service only: the API key is valid but its scopes do not cover the route (`verify`, `audit`, `metrics`, `admin`)",
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    message: "The request's CSRF token is missing or does not match the console session.",
    when: "service only: a state-changing request signed in with the console's session cookie lacks the session's `X-CSRF-Token` header, or sends another",
  },
  HOST_NOT_ALLOWED: {
    status: 403,
    message: "This development server answers only requests addressed to a loopback host.",
    when: "service, development only: the `Host` header names no loopback host (nor the configured HOST with `OTP_DEV_PUBLIC=true`): a DNS-rebinding page gets nothing",
  },
  NOT_FOUND: {
    status: 404,
    message: "Not found.",
    when: "no such verification (`otp.status(id)`, `GET /v1/verifications/{id}`): never issued, or its session ended and the ledger forgot it; in the service also no such route",
  },
  REQUEST_TIMEOUT: {
    status: 408,
    message: "The request was not received in time.",
    when: "service only: the request was not fully received within 30 s; the connection is closed",
  },
  FACTOR_NOT_CONFIRMED: {
    status: 409,
    message: "The factor is not confirmed yet.",
    when: "a TOTP factor was used (verify, recovery codes) before `confirm` accepted a first code",
  },
  OTP_EXPIRED: {
    status: 410,
    message: "The OTP has expired.",
    when: "the code window (default 300 s) passed",
  },
  SESSION_EXPIRED: {
    status: 410,
    message: "The verification session has expired.",
    when: "the context window (default 900 s) passed, or the ledger no longer knows the verification",
  },
  ALREADY_USED: {
    status: 410,
    message: "The OTP has already been used.",
    when: "the verification already succeeded; for a TOTP factor, a code whose time step is not newer than the last accepted one, or a recovery code used before",
  },
  CANCELED: {
    status: 410,
    message: "The verification was canceled.",
    when: "revoked: canceled, replaced by a resend, or delivery failed; for a TOTP factor, a recovery code of a set that newer codes replaced",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: "The payload is too large.",
    when: "context over 10 KB, metadata over 5 KB, or a request body over the limit",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: "The body must be JSON.",
    when: "service only: the body is not JSON",
  },
  EXPECTATION_FAILED: {
    status: 417,
    message: "The Expect header names an expectation this server does not support.",
    when: "service only: an `Expect` header other than `100-continue`; the connection is closed",
  },
  MAX_RETRIES_EXCEEDED: {
    status: 429,
    message: "Maximum attempts exceeded.",
    when: "attempts used up (default 3); even the right code fails now",
  },
  RATE_LIMITED: {
    status: 429,
    message: "Too many requests. Try again later.",
    when: "a send or verify limit or a lockout; `retry_after_seconds` and a `Retry-After` header",
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: "The request headers are too large.",
    when: "service only: the request headers are over Node's limit; the connection is closed",
  },
  DELIVERY_FAILED: {
    status: 502,
    message: "The code could not be delivered.",
    when: "the channel failed after its retries; nothing stays pending (with `shouldSend`, never answered: see No enumeration)",
  },
  STORE_UNAVAILABLE: {
    status: 503,
    message: "The verification store is unavailable.",
    when: "the store did not answer, or a strict audit log is full; nothing was approved. Also an admin's alert rules that could not be saved (the rules in force stay), and a console session cookie whose sign-out could not be checked",
  },
  SHUTTING_DOWN: {
    status: 503,
    message: "The service is shutting down. Send the request again.",
    when: "service only: a request that reached an instance after its graceful stop began; nothing was done, and the connection is closed",
  },
  INTERNAL: {
    status: 500,
    message: "Internal error.",
    when: "an unexpected error (a bug, or a failing dependency other than the store); its details go to the server's log only",
  },
} as const satisfies Record<string, ErrorSpec>;

/** Every stable error code: what callers branch on. */
export type ErrorCode = keyof typeof REGISTRY;

/**
 * The one registry of failures. Every failure the engine, a store, a channel or the service can
 * report has a stable `code` (what callers branch on), an HTTP status, a generic message and a
 * line saying when it happens. Messages never contain secrets or user input.
 */
export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = REGISTRY;

/** What an `OtpError` carries besides its code. */
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
  /** The underlying failure, for the server's log; never part of a response. */
  cause?: unknown;
}

/** The body every HTTP surface answers with: the Django library's shape, so its clients work. */
export interface OtpErrorBody {
  /** The message: the code's generic one or a more specific one, never a secret. */
  error: string;
  /** The stable code to branch on. */
  error_code: ErrorCode;
  /** Attempts left on this verification (INVALID_OTP). */
  attempts_remaining?: number;
  /** Seconds until a retry can succeed (RATE_LIMITED); also the Retry-After header. */
  retry_after_seconds?: number;
  /** Which limit refused the request (RATE_LIMITED), as the guard names it: `failures_per_identifier_and_ip`, … */
  limit?: string;
  /** The context to send with the next attempt (INVALID_OTP). */
  context?: string;
}

/** Every failure the library reports: a stable `code`, its HTTP `status` and a message without secrets. */
export class OtpError extends Error {
  /** Always `OtpError`. */
  override readonly name = "OtpError";
  /** The stable code to branch on. */
  readonly code: ErrorCode;
  /** The HTTP status of the code. */
  readonly status: number;
  /** Attempts left on this verification (INVALID_OTP). */
  readonly attemptsRemaining?: number;
  /** Seconds until a retry can succeed (RATE_LIMITED). */
  readonly retryAfterSeconds?: number;
  /** The context to send with the next attempt (INVALID_OTP). */
  readonly context?: string;
  /** Which limit refused the request (RATE_LIMITED). */
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

  /** The HTTP body: `{ error, error_code, ... }`. */
  toBody(): OtpErrorBody {
    const body: OtpErrorBody = { error: this.message, error_code: this.code };
    if (this.attemptsRemaining !== undefined) body.attempts_remaining = this.attemptsRemaining;
    if (this.retryAfterSeconds !== undefined) body.retry_after_seconds = this.retryAfterSeconds;
    if (this.limit !== undefined) body.limit = this.limit;
    if (this.context !== undefined) body.context = this.context;
    return body;
  }
}

/** Whether `value` is an `OtpError` (of this copy of the library). */
export function isOtpError(value: unknown): value is OtpError {
  return value instanceof OtpError;
}
