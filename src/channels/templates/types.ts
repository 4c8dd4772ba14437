import type { OtpMessage } from "../../contracts/channel.js";
import type { LocaleStrings, PurposeKind } from "../locales/index.js";

/** One message in every form a channel may need. */
export interface RenderedMessage {
  /** The locale the text is in (one of the available ones, after negotiation). */
  locale: string;
  subject: string;
  text: string;
  html: string;
  sms: string;
}

/**
 * A replacement for some parts of a message. Strings take the placeholders `{code}`,
 * `{minutes}`, `{appName}` and `{purpose}`; in `html` the values are HTML-escaped. A part left
 * out keeps the built-in text (an `html` left out is derived from an overridden `text`).
 */
export interface TemplateStrings {
  subject?: string;
  text?: string;
  html?: string;
  sms?: string;
}

export interface TemplateContext {
  code: string;
  minutes: number;
  appName: string;
  purpose: string;
  kind: PurposeKind;
  locale: string;
  to: string;
  metadata?: Record<string, unknown>;
  /** What the built-in templates render, to reuse or adjust. */
  defaults: RenderedMessage;
}

/** Static strings, or a function of the message (for per-locale text or metadata-driven copy). */
export type TemplateOverride = TemplateStrings | ((context: TemplateContext) => TemplateStrings);

export interface TemplateOptions {
  /** Shown in subjects and texts. Default "otp-actions"; set it to your product's name. */
  appName?: string;
  /**
   * Adds the WebOTP / SMS Retriever line `@domain #code` as the last line of SMS texts, so
   * browsers and phones can offer to fill the code in, and only on that site.
   */
  webOtpDomain?: string;
  /** Used when the message's locale matches none available. Default "en". */
  defaultLocale?: string;
  /** Extra or replacement languages, by BCP 47 tag ("it", "pt-BR"). */
  locales?: Record<string, LocaleStrings>;
  /** Overrides by purpose name (`"login"`, `"checkout"`) or by built-in kind. */
  templates?: Record<string, TemplateOverride>;
  /** Which built-in text an application purpose uses, e.g. `{ checkout: "payment" }`. */
  purposeKinds?: Record<string, PurposeKind>;
  /** Clock for "expires in N minutes". Default Date.now. */
  now?: () => number;
}

export type TemplateRenderer = (message: OtpMessage) => RenderedMessage;
