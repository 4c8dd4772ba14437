import type { IdentifierKind, NormalizedIdentifier } from "../core/identifiers.js";
import type { Channel } from "../contracts/channel.js";
import type { ClientInfo, OtpEventListener, OtpEventType } from "../contracts/events.js";
import type { LedgerStore } from "../contracts/ledger.js";
import type { Keyring } from "../core/keyring.js";
import type { CodePolicy } from "./options.js";

export type Metadata = Record<string, unknown>;

export interface GenerateInput extends CodePolicy {
  identifier: string;
  purpose: string;
  /** Channel name; decides the identifier kind ("email" → email, "sms" → phone). */
  channel?: string;
  metadata?: Metadata;
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

export interface StartInput extends GenerateInput {
  locale?: string;
}

export interface Issued {
  id: string;
  context: string;
  identifier: string;
  purpose: string;
  channel: string;
  expiresAt: Date;
  sessionExpiresAt: Date;
}

export interface Generated extends Issued {
  code: string;
}

export interface VerifyInput {
  code: unknown;
  context: unknown;
  /** The purpose this check is for. `null` accepts any purpose: use only where the caller binds it otherwise. */
  purpose: string | null;
  /** When given, the token must have been issued to this identifier (after normalisation). */
  identifier?: string;
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

export interface Verified {
  id: string;
  identifier: string;
  purpose: string;
  channel: string;
  metadata: Metadata | null;
  /** Checks used, the successful one included. */
  attempts: number;
}

export interface ResendInput {
  context: unknown;
  locale?: string;
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

export interface RevokeOptions {
  /** Ties the revoked event and its audit row to your trace or request id. */
  traceId?: string;
}

/**
 * Where a verification stands: `approved` (its code was accepted), `canceled` (canceled, or its
 * delivery failed), `replaced` (a resend issued a newer one; the session goes on under it),
 * `max_attempts` (every check used), else `pending`.
 */
export type VerificationState = "pending" | "approved" | "canceled" | "replaced" | "max_attempts";

/** What `status` reports: never the code, the identifier or the metadata. */
export interface VerificationStatus {
  id: string;
  status: VerificationState;
  /** Checks used, those a resend carried over included. */
  attempts: number;
  /** Checks left, for a pending one, when every purpose shares one `maxAttempts`. */
  attemptsRemaining?: number;
  /** When the session ends and the verification is forgotten. */
  sessionExpiresAt: Date;
}

export interface Otp {
  /** Issues a code and its context; the caller delivers the code. */
  generate(input: GenerateInput): Promise<Generated>;
  /** Issues a code and delivers it through a configured channel. The code is not returned. */
  start(input: StartInput): Promise<Issued>;
  /** Replaces the session's code with a new one and delivers it; the old code stops working. */
  resend(input: ResendInput): Promise<Issued>;
  /** Like resend, but returns the new code for the caller to deliver. */
  regenerate(input: ResendInput): Promise<Generated>;
  verify(input: VerifyInput): Promise<Verified>;
  /**
   * Cancels the session's pending verification; cancelling it again answers the same. A context a
   * resend replaced is refused with CANCELED: the session goes on, so cancel with the newest context.
   */
  revoke(context: unknown, options?: RevokeOptions): Promise<{ id: string; status: "canceled" }>;
  /**
   * A verification by its id: state, attempts and session expiry, read from the ledger without
   * changing it. NOT_FOUND once it is forgotten (never issued, or its session ended); INVALID_REQUEST
   * for an id of the wrong form; STORE_UNAVAILABLE when the store does not answer in time.
   */
  status(id: string): Promise<VerificationStatus>;
  on(type: OtpEventType | "*", listener: OtpEventListener): () => void;
  /**
   * An identifier as this engine normalises it, its `defaultCountry` included: what its tokens,
   * limits and audit rows key on. Throws INVALID_IDENTIFIER for one that does not parse.
   */
  normalizeIdentifier(identifier: string, kind?: IdentifierKind): NormalizedIdentifier;
  readonly keyring: Keyring;
  readonly store: LedgerStore;
  readonly channels: ReadonlyMap<string, Channel>;
  /** Waits for deliveries still in flight, asynchronous or not. Does not close the store. */
  close(): Promise<void>;
}
