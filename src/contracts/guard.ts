import type { NormalizedIdentifier } from "../core/identifiers.js";
import type { LedgerStore, RecordResult } from "./ledger.js";
import type { ClientInfo } from "./events.js";

/** What a channel sends: a text or a call to a phone number, an email, or something else. */
export type DeliveryMedium = "sms" | "voice" | "email" | "other";

/** The engine's clock and the request's deadline, given with every call. */
export interface GuardTiming {
  /** The engine's clock, milliseconds since the epoch: every window is measured on it. */
  nowMs: number;
  /** Wall-clock milliseconds since the epoch after which no counter may change. */
  deadlineMs: number;
}

/** A send (generate, start, resend) about to happen. */
export interface SendAttempt extends GuardTiming {
  /** The identifier, normalised. */
  identifier: NormalizedIdentifier;
  /** Keyed hash of `identifier.value` (the keyring's identifier hash): what limits are keyed by. */
  identifierHash: string;
  /** The purpose of the send. */
  purpose: string;
  /** The channel that will deliver. */
  channel: string;
  /**
   * What the channel does with the identifier. A phone number handed to any channel but an
   * email one is taken as a delivery to that number ("sms" unless the channel says "voice").
   */
  medium: DeliveryMedium;
  /** The caller's IP and user agent. */
  client?: ClientInfo;
  /** True for a resend of an existing session. */
  resend: boolean;
}

/** A check about to compare a code. */
export interface CheckAttempt extends GuardTiming {
  /** Verification id. */
  id: string;
  /** Keyed hash of the token's identifier: what limits are keyed by. */
  identifierHash: string;
  /** The purpose the check names. */
  purpose: string;
  /** The caller's IP and user agent. */
  client?: ClientInfo;
}

/** A check refused before any code was compared (a bad, expired or mismatched context). */
export interface RefusedCheck extends GuardTiming {
  /** The purpose the check names, when it named a string. */
  purpose?: string;
  /** The caller's IP and user agent. */
  client?: ClientInfo;
}

/** An operator lifting the lockouts of one identifier + purpose. */
export interface UnlockRequest extends GuardTiming {
  /** Keyed hash of the normalised identifier (the keyring's identifier hash). */
  identifierHash: string;
  /** The purpose whose lockouts are lifted. */
  purpose: string;
}

/** A lockout a failed check started. */
export interface LockoutNotice {
  /** The limit whose failure budget filled. */
  limit: string;
  /** Seconds until the lockout ends. */
  retryAfterSeconds: number;
}

/** A lockout notice about to go to an identifier, which the guard allows once per window. */
export interface NoticeClaim extends GuardTiming {
  /** Keyed hash of the identifier the notice goes to: what the allowance is keyed by. */
  identifierHash: string;
  /** At most one notice per identifier within this many milliseconds. */
  windowMs: number;
}

/** The ledger's check the guard runs inside its own step, or after its reservation. */
export interface LedgerCheck {
  /**
   * The engine's store: counters that run a ledger's check themselves do so only for this one.
   * Null for a check that is no verification's (a TOTP factor's): the guard then calls `record`.
   */
  store: LedgerStore | null;
  /** Verification id. */
  id: string;
  /** Whether the code matched. */
  match: boolean;
  /** Checks allowed on the verification. */
  maxAttempts: number;
  /** The store's own check, bound by the request's deadline: for a guard whose counters cannot run it themselves. */
  record(): Promise<RecordResult>;
}

/** The ledger entry of a new code, which the guard opens with its send limits. */
export interface LedgerOpen {
  /** The engine's store. */
  store: LedgerStore;
  /** Verification id. */
  id: string;
  /** How long the entry lives, in milliseconds. */
  ttlMs: number;
  /** Attempts already used (carried over by a resend). */
  attempts: number;
  /** The store's own open, bound by the request's deadline. */
  open(): Promise<void>;
}

/** A check's answer from the ledger, and the lockout its failure started. */
export interface GuardedCheck {
  /** The ledger's answer. */
  result: RecordResult;
  /** The lockout the failure started, if one did. */
  lockout?: LockoutNotice;
}

/** What a send took; given back by `sendFailed` when nothing was sent. */
export interface SendReservation {
  /** Always `send`. */
  readonly kind: "send";
}

/**
 * Abuse protection plugged into the engine. Each method refuses by throwing an `OtpError`:
 * RATE_LIMITED with `retryAfterSeconds` and `limit`, INVALID_IDENTIFIER for a number that must
 * not get a code, STORE_UNAVAILABLE when its counters cannot be read (never a silent pass).
 */
export interface Guard {
  /**
   * The send limits. With `open`, the guard also opens the new code's ledger entry: in the same
   * atomic step where its counters share the ledger's backend, else after its limits (giving its
   * points back when the open fails for want of a store).
   */
  send(attempt: SendAttempt, open?: LedgerOpen): Promise<SendReservation>;
  /** A send whose limits were taken failed for want of a store (STORE_UNAVAILABLE): its points are given back. Never throws. */
  sendFailed(reservation: SendReservation, timing: GuardTiming): Promise<void>;
  /**
   * A check: the failure points reserved before the code is compared, the ledger's check, and
   * the settling its outcome calls for (an approval clears the runs of failures and gives the
   * IP's point back; a check that compared nothing gives the identifier's points back), as one
   * call, and one atomic step where the counters share the ledger's backend.
   */
  check(attempt: CheckAttempt, ledger: LedgerCheck): Promise<GuardedCheck>;
  /** A check refused before any comparison costs its IP a failure point, never the identifier. */
  refusedCheck(check: RefusedCheck): Promise<void>;
  /**
   * Takes an identifier's lockout-notice allowance: true when no notice went to it within the
   * window, counted where the guard counts (so across processes). Optional: an engine whose guard
   * lacks it sends no notices. Rejects (STORE_UNAVAILABLE) when its counters cannot be read.
   */
  claimNotice?(claim: NoticeClaim): Promise<boolean>;
  /**
   * Lifts the lockouts of an identifier + purpose, across IPs and from every IP, and ends its runs
   * of failures, so the next check of a new code is judged afresh. Each IP's own failure budget
   * (spraying across identifiers) stays as it is. Optional: a guard without it cannot lift.
   */
  unlock?(request: UnlockRequest): Promise<void>;
  /** Releases the guard's connections (counters the guard opened itself). */
  close?(): Promise<void>;
}
