import type { IdentifierKind, NormalizedIdentifier } from "../core/identifiers.js";
import type { Channel } from "../contracts/channel.js";
import type { ClientInfo, OtpEventListener, OtpEventType } from "../contracts/events.js";
import type { LedgerStore } from "../contracts/ledger.js";
import type { Keyring } from "../core/keyring.js";
import type { Transaction } from "../core/transaction.js";
import type { CodePolicy } from "./options.js";
import type { Totp } from "./totp/types.js";

/** Application data stored with a verification and returned when it succeeds (a JSON object, at most 5 KB). */
export type Metadata = Record<string, unknown>;

/** What `generate` needs: who gets the code and what it protects. */
export interface GenerateInput extends CodePolicy {
  /** An email address or phone number; normalised before use. */
  identifier: string;
  /** What the code protects (`login`, `payment`, …): a check must name the same purpose. */
  purpose: string;
  /** Channel name; decides the identifier kind ("email" → email, "sms" → phone). */
  channel?: string;
  /** Stored with the verification and returned by a successful check. */
  metadata?: Metadata;
  /**
   * The payment the code confirms (PSD2 dynamic linking): the message shows the amount and the
   * payee, and the check must name the same transaction. The token holds only its keyed digest.
   */
  transaction?: Transaction;
  /** The caller's IP and user agent, for limits, events and the audit log. */
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

/** What `start` needs: `generate`'s input, and the locale of the message. */
export interface StartInput extends GenerateInput {
  /** The message's language (a BCP 47 tag); default the channel's. */
  locale?: string;
}

/** A verification just issued: what to give the client for the check. */
export interface Issued {
  /** The verification's id. */
  id: string;
  /** The sealed token the check sends back with the code. */
  context: string;
  /** The identifier, normalised. */
  identifier: string;
  /** The purpose the code protects. */
  purpose: string;
  /** The channel that delivers (or would deliver) the code. */
  channel: string;
  /** When the code stops working. */
  expiresAt: Date;
  /** When the context (and its resends) stops working. */
  sessionExpiresAt: Date;
}

/** A verification just issued, with its code for the caller to deliver. */
export interface Generated extends Issued {
  /** The one-time code (digits); deliver it, never log it. */
  code: string;
}

/** What a check sends: the code and the context it was issued with. */
export interface VerifyInput {
  /** The code the user entered; anything else than a string of digits is refused. */
  code: unknown;
  /** The context `generate`/`start` returned (or the newest one after a resend). */
  context: unknown;
  /** The purpose this check is for. `null` accepts any purpose: use only where the caller binds it otherwise. */
  purpose: string | null;
  /** When given, the token must have been issued to this identifier (after normalisation). */
  identifier?: string;
  /**
   * The transaction the code was issued for, when it was bound to one. Any difference (or one
   * given for an unbound code, or none for a bound one) is CONTEXT_MISMATCH and uses an attempt.
   */
  transaction?: Transaction;
  /** The caller's IP and user agent, for limits, events and the audit log. */
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

/** A successful check. */
export interface Verified {
  /** The verification's id. */
  id: string;
  /** The identifier the code was issued to, normalised. */
  identifier: string;
  /** The purpose the code was issued for. */
  purpose: string;
  /** The channel that delivered the code. */
  channel: string;
  /** The metadata given when the code was issued, or null. */
  metadata: Metadata | null;
  /** Checks used, the successful one included. */
  attempts: number;
}

/** What `resend` and `regenerate` need: the session's context. */
export interface ResendInput {
  /** The context of the session (its newest one). */
  context: unknown;
  /** The session's transaction, when its code is bound to one: the new message shows it again. */
  transaction?: Transaction;
  /** The message's language (a BCP 47 tag); default the channel's. */
  locale?: string;
  /** The caller's IP and user agent, for limits, events and the audit log. */
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

/** Options of `revoke`. */
export interface RevokeOptions {
  /** Ties the revoked event and its audit row to your trace or request id. */
  traceId?: string;
}

/** Options of `cancel`: who cancels, for the audit log. */
export interface CancelOptions {
  /** Who cancels (an API key's id, a console user): recorded on the `revoked` event and its audit row. */
  actor?: string;
  /** Ties the revoked event and its audit row to your trace or request id. */
  traceId?: string;
}

/** Whose lockouts `unlock` lifts: exactly one of `identifier` and `identifierHash`, and the purpose. */
export interface UnlockInput {
  /** The identifier as a user would type it: normalised as every operation does (`defaultCountry` included). */
  identifier?: string;
  /** How to read `identifier` when its form alone does not say. */
  identifierKind?: IdentifierKind;
  /** The identifier's keyed hash, as audit rows show it. */
  identifierHash?: string;
  /** The purpose whose lockouts are lifted. */
  purpose: string;
  /** Who lifts (an API key's id, a console user): recorded on the `unlocked` event and its audit row. */
  actor?: string;
  /** Ties the unlocked event and its audit row to your trace or request id. */
  traceId?: string;
}

/** What `unlock` did. */
export interface Unlocked {
  /** The purpose. */
  purpose: string;
  /** The identifier's hash under the sealing key (or the one given). */
  identifierHash: string;
  /** False when the engine has no guard that can lift lockouts (`guard: false`): there was nothing to lift. */
  lifted: boolean;
}

/**
 * Where a verification stands: `approved` (its code was accepted), `canceled` (canceled, or its
 * delivery failed), `replaced` (a resend issued a newer one; the session goes on under it),
 * `max_attempts` (every check used), else `pending`.
 */
export type VerificationState = "pending" | "approved" | "canceled" | "replaced" | "max_attempts";

/** What `status` reports: never the code, the identifier or the metadata. */
export interface VerificationStatus {
  /** The verification's id. */
  id: string;
  /** Where it stands. */
  status: VerificationState;
  /** Checks used, those a resend carried over included. */
  attempts: number;
  /** Checks left, for a pending one, when every purpose shares one `maxAttempts`. */
  attemptsRemaining?: number;
  /** When the session ends and the verification is forgotten. */
  sessionExpiresAt: Date;
}

/** The engine `createOtp` returns: issue, deliver, check and cancel one-time codes. */
export interface Otp {
  /** Issues a code and its context; the caller delivers the code. */
  generate(input: GenerateInput): Promise<Generated>;
  /** Issues a code and delivers it through a configured channel. The code is not returned. */
  start(input: StartInput): Promise<Issued>;
  /** Replaces the session's code with a new one and delivers it; the old code stops working. */
  resend(input: ResendInput): Promise<Issued>;
  /** Like resend, but returns the new code for the caller to deliver. */
  regenerate(input: ResendInput): Promise<Generated>;
  /** Checks a code against its context; resolves when it is right, else rejects with an `OtpError`. */
  verify(input: VerifyInput): Promise<Verified>;
  /**
   * Cancels the session's pending verification; cancelling it again answers the same. A context a
   * resend replaced is refused with CANCELED: the session goes on, so cancel with the newest context.
   */
  revoke(
    context: unknown,
    options?: RevokeOptions,
  ): Promise<{
    /** The verification's id. */
    id: string;
    /** Always `canceled`. */
    status: "canceled";
  }>;
  /**
   * Cancels a pending verification by its id, for an operator without its context. NOT_FOUND once
   * it is forgotten, ALREADY_USED once approved; cancelling again answers the same.
   */
  cancel(
    id: string,
    options?: CancelOptions,
  ): Promise<{
    /** The verification's id. */
    id: string;
    /** Always `canceled`. */
    status: "canceled";
  }>;
  /**
   * Lifts the lockouts of an identifier + purpose (across IPs and from every IP) and ends its runs
   * of failures, so the user can check a new code at once. Each IP's own failure budget stays.
   */
  unlock(input: UnlockInput): Promise<Unlocked>;
  /**
   * A verification by its id: state, attempts and session expiry, read from the ledger without
   * changing it. NOT_FOUND once it is forgotten (never issued, or its session ended); INVALID_REQUEST
   * for an id of the wrong form; STORE_UNAVAILABLE when the store does not answer in time.
   */
  status(id: string): Promise<VerificationStatus>;
  /** Subscribes to the engine's events (`"*"` for all); returns what unsubscribes. */
  on(type: OtpEventType | "*", listener: OtpEventListener): () => void;
  /**
   * An identifier as this engine normalises it, its `defaultCountry` included: what its tokens,
   * limits and audit rows key on. Throws INVALID_IDENTIFIER for one that does not parse.
   */
  normalizeIdentifier(identifier: string, kind?: IdentifierKind): NormalizedIdentifier;
  /** The keys that seal and open contexts. */
  readonly keyring: Keyring;
  /** The ledger the engine records verifications in. */
  readonly store: LedgerStore;
  /** The configured channels, by name. */
  readonly channels: ReadonlyMap<string, Channel>;
  /** Authenticator-app factors (TOTP) and recovery codes, on this engine's keys, store and guard. */
  readonly totp: Totp;
  /** Waits for deliveries still in flight, asynchronous or not. Does not close the store. */
  close(): Promise<void>;
}
