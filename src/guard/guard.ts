import type { NormalizedIdentifier } from "../core/identifiers.js";
import type { ClientInfo } from "../telemetry/events.js";

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
  identifier: NormalizedIdentifier;
  /** Keyed hash of `identifier.value` (the keyring's identifier hash): what limits are keyed by. */
  identifierHash: string;
  purpose: string;
  channel: string;
  /**
   * What the channel does with the identifier. A phone number handed to any channel but an
   * email one is taken as a delivery to that number ("sms" unless the channel says "voice").
   */
  medium: DeliveryMedium;
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
  purpose: string;
  client?: ClientInfo;
}

/** A check refused before any code was compared (a bad, expired or mismatched context). */
export interface RefusedCheck extends GuardTiming {
  purpose?: string;
  client?: ClientInfo;
}

/** What the ledger said of a reserved check. */
export type CheckOutcome =
  /** The code matched. */
  | "approved"
  /** The code was compared and did not match. */
  | "rejected"
  /** Nothing was compared: the context was spent, exhausted, canceled or unknown, or the ledger failed. */
  | "not_compared";

/** A lockout a failed check started. */
export interface LockoutNotice {
  limit: string;
  retryAfterSeconds: number;
}

/** What `beforeCheck` took; given back to `afterCheck`. */
export interface CheckReservation {
  /** Set when this check's failure point started a lockout (it stands if the check fails). */
  readonly lockout?: LockoutNotice;
}

/** What `beforeSend` took; given back by `sendFailed` when nothing was sent. */
export interface SendReservation {
  readonly kind: "send";
}

/**
 * Abuse protection plugged into the engine. Each method refuses by throwing an `OtpError`:
 * RATE_LIMITED with `retryAfterSeconds` and `limit`, INVALID_IDENTIFIER for a number that must
 * not get a code, STORE_UNAVAILABLE when its counters cannot be read (never a silent pass).
 */
export interface Guard {
  beforeSend(attempt: SendAttempt): Promise<SendReservation>;
  /** The send failed for want of a store (STORE_UNAVAILABLE): its points are given back. Never throws. */
  sendFailed(reservation: SendReservation, timing: GuardTiming): Promise<void>;
  /** Reserves one failure point on every budget the check counts against, before the code is compared. */
  beforeCheck(attempt: CheckAttempt): Promise<CheckReservation>;
  /**
   * Settles a reservation: an approval clears its runs of failures and gives the IP's point back;
   * a check that compared nothing gives the identifier's points back (the IP keeps its point).
   * Never throws: the check is decided.
   */
  afterCheck(reservation: CheckReservation, outcome: CheckOutcome, timing: GuardTiming): Promise<LockoutNotice | undefined>;
  /** A check refused before any comparison costs its IP a failure point, never the identifier. */
  refusedCheck(check: RefusedCheck): Promise<void>;
  close?(): Promise<void>;
}
