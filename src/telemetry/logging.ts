import type { ErrorCode } from "../core/errors.js";
import { maskIdentifier } from "../core/identifiers.js";
import type { OtpEvent, OtpEventType } from "../contracts/events.js";
import type { OtpEventSource } from "./metrics.js";

/** A log level events are written at. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The part of a pino logger this uses: `logger.info({ ...fields }, "message")`. */
export type OtpLogger = Record<LogLevel, (fields: Record<string, unknown>, message: string) => void>;

/** Options of `attachLogger`: levels and what each line includes. */
export interface LoggerOptions {
  /** Level per event type, over the defaults below. */
  levels?: Partial<Record<OtpEventType, LogLevel>>;
  /** Log the application's metadata. It may hold personal data: default false. */
  includeMetadata?: boolean;
  /** Log the client's IP and user agent. Default true. */
  includeClient?: boolean;
}

const DEFAULT_LEVELS: Readonly<Record<OtpEventType, LogLevel>> = {
  generated: "info",
  delivered: "info",
  delivery_failed: "error",
  validation_attempt: "debug",
  succeeded: "info",
  failed: "info",
  exhausted: "warn",
  revoked: "info",
  rate_limited: "warn",
  locked_out: "warn",
  lockout_notice: "info",
  factor_enrolled: "info",
  factor_confirmed: "info",
  factor_verified: "info",
  factor_failed: "info",
  recovery_codes_generated: "info",
  recovery_code_used: "warn",
  unlocked: "warn",
};

// Failures that point at tampering, replay or guessing rather than a user's typo or delay.
const SUSPICIOUS: ReadonlySet<ErrorCode> = new Set([
  "INVALID_CONTEXT",
  "CONTEXT_MISMATCH",
  "ALREADY_USED",
  "MAX_RETRIES_EXCEEDED",
  "INVALID_FACTOR",
]);
const BROKEN: ReadonlySet<ErrorCode> = new Set(["STORE_UNAVAILABLE", "INTERNAL"]);

/**
 * Writes one line per engine event to a pino (or pino-shaped) logger. Events carry no code and no
 * key; the identifier is masked again here so a line can never hold a full address or number.
 * Returns the function that detaches the logger.
 */
export function attachLogger(otp: OtpEventSource, logger: OtpLogger, options: LoggerOptions = {}): () => void {
  for (const level of ["debug", "info", "warn", "error"] as const) {
    if (typeof logger?.[level] !== "function")
      throw new TypeError(`otp-actions: attachLogger needs a logger with a ${level}() method (pino's shape)`);
  }
  const levels = { ...DEFAULT_LEVELS, ...options.levels };
  for (const [type, level] of Object.entries(levels)) {
    if (!["debug", "info", "warn", "error"].includes(level))
      throw new TypeError(`otp-actions: attachLogger levels.${type} must be debug, info, warn or error`);
  }
  const includeClient = options.includeClient ?? true;
  const includeMetadata = options.includeMetadata ?? false;

  return otp.on("*", (event: OtpEvent) => {
    const level = levelFor(event, levels[event.type] ?? "info");
    logger[level].call(logger, logFields(event, includeClient, includeMetadata), `otp ${event.type}`);
  });
}

function levelFor(event: OtpEvent, configured: LogLevel): LogLevel {
  if (event.type !== "failed" || event.reason === undefined) return configured;
  if (BROKEN.has(event.reason)) return "error";
  if (SUSPICIOUS.has(event.reason)) return "warn";
  return configured;
}

/** The fields of a log line. Built field by field, so nothing an event gains later leaks by default. */
export function logFields(event: OtpEvent, includeClient = true, includeMetadata = false): Record<string, unknown> {
  const fields: Record<string, unknown> = { event: event.type };
  if (event.id !== undefined) fields.verificationId = event.id;
  if (event.purpose !== undefined) fields.purpose = event.purpose;
  if (event.channel !== undefined) fields.channel = event.channel;
  if (event.identifier !== undefined) fields.identifier = maskIdentifier(event.identifier);
  if (event.identifierHash !== undefined) fields.identifierHash = event.identifierHash;
  if (event.reason !== undefined) fields.reason = event.reason;
  if (event.attempts !== undefined) fields.attempts = event.attempts;
  if (event.maxAttempts !== undefined) fields.maxAttempts = event.maxAttempts;
  if (event.limit !== undefined) fields.limit = event.limit;
  if (event.retryAfterSeconds !== undefined) fields.retryAfterSeconds = event.retryAfterSeconds;
  if (event.traceId !== undefined) fields.traceId = event.traceId;
  if (includeClient && event.client?.ip !== undefined) fields.ip = event.client.ip;
  if (includeClient && event.client?.userAgent !== undefined) fields.userAgent = event.client.userAgent;
  if (includeMetadata && event.metadata !== undefined) fields.metadata = event.metadata;
  return fields;
}
