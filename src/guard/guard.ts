import type { NormalizedIdentifier } from "../core/identifiers.js";
import type { LedgerStore, RecordResult } from "../stores/store.js";
import type { ClientInfo } from "../telemetry/events.js";

/** A send (generate, start, resend) about to happen. */
export interface SendAttempt {
  identifier: NormalizedIdentifier;
  /** Keyed hash of `identifier.value` (the keyring's identifier hash): what limits are keyed by. */
  identifierHash: string;
  purpose: string;
  channel: string;
  client?: ClientInfo;
  /** True for a resend of an existing session. */
  resend: boolean;
  /** Codes this session will have sent, including this one. */
  sends: number;
}

/** A check about to be evaluated, or just evaluated. */
export interface CheckAttempt {
  /** Verification id. */
  id: string;
  /** Normalised identifier from the token. */
  identifier: string;
  /** Keyed hash of `identifier` (the keyring's identifier hash): what limits are keyed by. */
  identifierHash: string;
  purpose: string;
  client?: ClientInfo;
}

/** Returned by `afterCheck` when this failure started a lockout. */
export interface LockoutNotice {
  limit: string;
  retryAfterSeconds: number;
}

/** The ledger check the engine is about to make. */
export interface LedgerCheck {
  id: string;
  match: boolean;
  maxAttempts: number;
}

/** A ledger check made together with the guard's check limits. */
export interface GuardedRecord {
  result: RecordResult;
  /** Set when this check was evaluated, failed, and started a lockout. */
  lockout?: LockoutNotice;
}

/**
 * Abuse protection plugged into the engine. Each method refuses by throwing an `OtpError` with
 * code RATE_LIMITED, `retryAfterSeconds` and `limit`; the engine turns that into events and the
 * caller's error. Limits live on the same stores as the ledger.
 */
export interface Guard {
  beforeSend(attempt: SendAttempt): Promise<void>;
  beforeCheck(attempt: CheckAttempt): Promise<void>;
  /** Called once per evaluated check (the code was compared and the ledger updated). */
  afterCheck(attempt: CheckAttempt, success: boolean): Promise<LockoutNotice | void>;
  /**
   * Optional: `beforeCheck`, the store's `record` and `afterCheck` as one step, when the guard's
   * counters and the ledger share a connection that can run them together (one round trip).
   * Undefined when it cannot; the engine then makes the three calls itself.
   */
  recordCheck?(attempt: CheckAttempt, store: LedgerStore, check: LedgerCheck): Promise<GuardedRecord> | undefined;
  close?(): Promise<void>;
}
