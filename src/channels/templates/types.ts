import type { OtpMessage } from "../../contracts/channel.js";
import type { LocaleStrings, PurposeKind } from "../locales/index.js";

/** One message in every form a channel may need. */
export interface RenderedMessage {
  /** The locale the text is in (one of the available ones, after negotiation). */
  locale: string;
  /** The email subject. */
  subject: string;
  /** The email's plain-text body. */
  text: string;
  /** The email's HTML body. */
  html: string;
  /** The SMS text. */
  sms: string;
}

/**
 * A replacement for some parts of a message. Strings take the placeholders `{code}`,
 * `{minutes}`, `{appName}` and `{purpose}`, and `{amount}` and `{payee}` for a code bound to a
 * transaction; in `html` the values are HTML-escaped. A part left
 * out keeps the built-in text (an `html` left out is derived from an overridden `text`).
 */
export interface TemplateStrings {
  /** Replaces the email subject. */
  subject?: string;
  /** Replaces the email's plain-text body. */
  text?: string;
  /** Replaces the email's HTML body. */
  html?: string;
  /** Replaces the SMS text. */
  sms?: string;
}

/** What a template function is given: the message's values and the built-in rendering. */
export interface TemplateContext {
  /** The one-time code. */
  code: string;
  /** Minutes until the code expires. */
  minutes: number;
  /** The `appName` option. */
  appName: string;
  /** The verification's purpose. */
  purpose: string;
  /** For a code bound to a transaction: its amount, formatted for the locale ("€12.50"). */
  amount?: string;
  /** For a code bound to a transaction: its payee. */
  payee?: string;
  /** The built-in text the purpose uses. */
  kind: PurposeKind;
  /** The negotiated locale. */
  locale: string;
  /** The recipient, normalised. */
  to: string;
  /** The verification's metadata. */
  metadata?: Record<string, unknown>;
  /** What the built-in templates render, to reuse or adjust. */
  defaults: RenderedMessage;
}

/** Static strings, or a function of the message (for per-locale text or metadata-driven copy). */
export type TemplateOverride = TemplateStrings | ((context: TemplateContext) => TemplateStrings);

/** How channels render messages: app name, languages, overrides and the WebOTP line. */
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

/** Renders a message in every form a channel may need. */
export type TemplateRenderer = (message: OtpMessage) => RenderedMessage;
