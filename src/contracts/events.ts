import type { ErrorCode } from "../core/errors.js";

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
] as const;

export type OtpEventType = (typeof EVENT_TYPES)[number];

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

/**
 * What every event carries. Never the code, never a key; the identifier only masked and as a
 * keyed hash (for lookups that must not store it).
 */
export interface OtpEvent {
  type: OtpEventType;
  /** Verification id, when one exists. */
  id?: string;
  purpose?: string;
  /** Masked identifier for display: `u***@example.com`. */
  identifier?: string;
  /** Keyed hash of the normalised identifier, stable while the sealing key is. */
  identifierHash?: string;
  channel?: string;
  /** Attempts used on this verification after the event. */
  attempts?: number;
  maxAttempts?: number;
  /** Why a check failed or a send was refused. */
  reason?: ErrorCode;
  /** Which limit refused (rate_limited, locked_out). */
  limit?: string;
  retryAfterSeconds?: number;
  metadata?: Record<string, unknown>;
  client?: ClientInfo;
  traceId?: string;
  /** Milliseconds since the epoch, from the engine's clock. */
  at: number;
  codeExpiresAt?: number;
  sessionExpiresAt?: number;
}

export type OtpEventListener = (event: OtpEvent) => void | Promise<void>;

/** `node:diagnostics_channel` names: `otp-actions:generated`, `otp-actions:failed`, … */
export const DIAGNOSTICS_CHANNEL_PREFIX = "otp-actions:";
