import type { ErrorCode } from "../core/errors.js";

/** Every event type the engine emits, in the order of a verification's life. */
export const EVENT_TYPES = [
  "generated",
  "delivered",
  "delivery_failed",
  "validation_attempt",
  "succeeded",
  "failed",
  "exhausted",
  "revoked",
  "rate_limited",
  "locked_out",
  "lockout_notice",
  "factor_enrolled",
  "factor_confirmed",
  "factor_verified",
  "factor_failed",
  "recovery_codes_generated",
  "recovery_code_used",
  "unlocked",
] as const;

/** One of `EVENT_TYPES`. */
export type OtpEventType = (typeof EVENT_TYPES)[number];

/** Who made a request: what limits, events and audit rows record of the caller. */
export interface ClientInfo {
  /** The client's IP address. */
  ip?: string;
  /** The client's `User-Agent`. */
  userAgent?: string;
}

/**
 * What every event carries. Never the code, never a key; the identifier only masked and as a
 * keyed hash (for lookups that must not store it).
 */
export interface OtpEvent {
  /** What happened. */
  type: OtpEventType;
  /** Verification id, when one exists. */
  id?: string;
  /** The purpose of the verification. */
  purpose?: string;
  /** Masked identifier for display: `u***@example.com`. */
  identifier?: string;
  /** Keyed hash of the normalised identifier, stable while the sealing key is. */
  identifierHash?: string;
  /** The channel that delivers (or delivered) the code. */
  channel?: string;
  /** Attempts used on this verification after the event. */
  attempts?: number;
  /** Checks allowed on this verification. */
  maxAttempts?: number;
  /** Why a check failed or a send was refused. */
  reason?: ErrorCode;
  /** Which limit refused (rate_limited, locked_out). */
  limit?: string;
  /** Seconds until a refused request can succeed (rate_limited, locked_out). */
  retryAfterSeconds?: number;
  /** Keyed digest of the transaction the code is bound to (never its amount or payee). */
  transactionDigest?: string;
  /** The verification's metadata, on events that carry it. */
  metadata?: Record<string, unknown>;
  /** The caller's IP and user agent. */
  client?: ClientInfo;
  /** The trace or request id the operation was given, or its span's. */
  traceId?: string;
  /** How long the check took, in milliseconds (succeeded and failed events of a check). */
  durationMs?: number;
  /** Who took an operator's action (unlocked, a revoked by id): an API key's id, never a key. */
  actor?: string;
  /** Milliseconds since the epoch, from the engine's clock. */
  at: number;
  /** When the code stops working, in milliseconds since the epoch, on events that carry it. */
  codeExpiresAt?: number;
  /** When the context stops working, in milliseconds since the epoch, on events that carry it. */
  sessionExpiresAt?: number;
}

/** A function called with each event; a rejection or throw goes to `onListenerError`. */
export type OtpEventListener = (event: OtpEvent) => void | Promise<void>;

/** `node:diagnostics_channel` names: `otp-actions:generated`, `otp-actions:failed`, … */
export const DIAGNOSTICS_CHANNEL_PREFIX = "otp-actions:";
