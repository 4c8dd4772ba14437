import type { IdentifierKind } from "../core/identifiers.js";
import type { Transaction } from "../core/transaction.js";

/** What a channel delivers. The only place outside the caller where the code exists. */
export interface OtpMessage {
  /** Verification id, for correlation; not secret. */
  id: string;
  /** Normalised recipient: email address or E.164 number. */
  to: string;
  /** The one-time code. */
  code: string;
  /** The purpose the code protects. */
  purpose: string;
  /** BCP 47 tag such as "en" or "fr-CA"; channels fall back to English. */
  locale?: string;
  /** When the code stops working. */
  codeExpiresAt: Date;
  /** The verification's metadata, for templates. */
  metadata?: Record<string, unknown>;
  /** The payment the code confirms, in canonical form: the message must show its amount and payee. */
  transaction?: Transaction;
  /**
   * Set for a message that carries no code (`code` is then empty): `lockout` tells the recipient
   * that failed checks locked their account's codes for `purpose`. A channel that renders its own
   * text must say so rather than show a code.
   */
  notice?: "lockout";
}

/** What the engine gives a channel with each delivery. */
export interface DeliverOptions {
  /** Aborted when the engine's delivery timeout passes; a channel should stop its I/O. */
  signal: AbortSignal;
}

/** A way to deliver codes: email, SMS, a webhook, the console, or your own. */
export interface Channel {
  /** The name callers pick it by ("sms", "email", "webhook", "console"). */
  readonly name: string;
  /** Which identifiers it can reach; "any" leaves the kind to be inferred from the value. */
  readonly accepts: IdentifierKind | "any";
  /**
   * What it sends: a text ("sms", WhatsApp included) or a call ("voice") to a phone number, an
   * email, or something else. SMS pumping defences apply to every delivery to a phone number
   * except through a channel that says "email" or "other"; "voice" allows fixed lines.
   * Default: "email" for an email channel, else "sms" when the identifier is a phone number.
   */
  readonly medium?: "sms" | "voice" | "email" | "other";
  /** Delivers one message; rejects (with a `DeliveryError` to say whether to retry) when it could not. */
  deliver(message: OtpMessage, options: DeliverOptions): Promise<void>;
  /** Resolves when the channel is configured and can be used (for /health). */
  health?(): Promise<void>;
  /** Releases the channel's connections. */
  close?(): Promise<void>;
}

/**
 * A failure a channel reports. `retryable: false` (a rejected recipient, bad credentials) stops
 * the engine's retries at once; anything else thrown is treated as retryable.
 */
export class DeliveryError extends Error {
  /** Always `DeliveryError`. */
  override readonly name = "DeliveryError";
  /** False stops the engine's retries at once. */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? true;
  }
}
