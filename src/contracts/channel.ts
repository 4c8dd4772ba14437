import type { IdentifierKind } from "../core/identifiers.js";

/** What a channel delivers. The only place outside the caller where the code exists. */
export interface OtpMessage {
  /** Verification id, for correlation; not secret. */
  id: string;
  /** Normalised recipient: email address or E.164 number. */
  to: string;
  code: string;
  purpose: string;
  /** BCP 47 tag such as "en" or "fr-CA"; channels fall back to English. */
  locale?: string;
  codeExpiresAt: Date;
  metadata?: Record<string, unknown>;
}

export interface DeliverOptions {
  /** Aborted when the engine's delivery timeout passes; a channel should stop its I/O. */
  signal: AbortSignal;
}

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
  deliver(message: OtpMessage, options: DeliverOptions): Promise<void>;
  /** Resolves when the channel is configured and can be used (for /health). */
  health?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A failure a channel reports. `retryable: false` (a rejected recipient, bad credentials) stops
 * the engine's retries at once; anything else thrown is treated as retryable.
 */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? true;
  }
}
