import { escapeHtml } from "../core/html-escape.js";
import type { OtpMessage } from "../contracts/channel.js";
import { negotiateLocale } from "./locale-negotiation.js";
import { BUILT_IN_LOCALES, PURPOSE_KINDS, type KindStrings, type LocaleStrings, type PurposeKind } from "./locales/index.js";

export { negotiateLocale } from "./locale-negotiation.js";
export { smsSegments, type SmsSegments } from "./sms-segments.js";
export { BUILT_IN_LOCALES, PURPOSE_KINDS, type KindStrings, type LocaleStrings, type PurposeKind };

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

const DEFAULT_APP_NAME = "otp-actions";
// The names applications commonly give the built-in kinds.
const KIND_ALIASES: Readonly<Record<string, PurposeKind>> = {
  signin: "login",
  sign_in: "login",
  log_in: "login",
  sign_up: "signup",
  register: "signup",
  registration: "signup",
  reset_password: "password_reset",
  password: "password_reset",
  email_change: "change_email",
  phone_change: "change_phone",
  checkout: "payment",
  transaction: "payment",
  "2fa": "two_factor",
  mfa: "two_factor",
};
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Builds the function that turns an `OtpMessage` into subject, text, HTML and SMS in the
 * recipient's language. Options are checked here, once: misuse is a TypeError at construction.
 */
export function createTemplateRenderer(options: TemplateOptions = {}): TemplateRenderer {
  const appName = checkedAppName(options.appName);
  const webOtpDomain = checkedDomain(options.webOtpDomain);
  const locales = mergedLocales(options.locales);
  const available = Object.keys(locales);
  const defaultLocale = negotiateLocale(options.defaultLocale ?? "en", available, "en");
  const templates = checkedTemplates(options.templates);
  const purposeKinds = checkedPurposeKinds(options.purposeKinds);
  const now = options.now ?? Date.now;

  return (message: OtpMessage): RenderedMessage => {
    const locale = negotiateLocale(message.locale, available, defaultLocale);
    const strings = locales[locale]!;
    const kind = own(purposeKinds, message.purpose) ?? kindOf(message.purpose);
    const minutes = Math.max(1, Math.ceil((message.codeExpiresAt.getTime() - now()) / 60_000));
    const values: Values = { code: message.code, minutes: String(minutes), appName, purpose: message.purpose };
    const defaults = renderBuiltIn(strings, kind, locale, values, minutes);

    const override = own(templates, message.purpose) ?? own(templates, kind);
    const custom = typeof override === "function" ? checkedStrings(override({ ...values, minutes, kind, locale, to: message.to, ...(message.metadata && { metadata: message.metadata }), defaults })) : override;
    const rendered: RenderedMessage = { ...defaults };
    if (custom?.subject !== undefined) rendered.subject = fill(custom.subject, values);
    if (custom?.text !== undefined) {
      rendered.text = fill(custom.text, values);
      rendered.html = htmlDocument(locale, rendered.subject, textToHtml(rendered.text));
    }
    if (custom?.html !== undefined) rendered.html = fill(custom.html, values, escapeHtml);
    if (custom?.sms !== undefined) rendered.sms = fill(custom.sms, values);
    if (webOtpDomain) rendered.sms = `${rendered.sms}\n\n@${webOtpDomain} #${message.code}`;
    return rendered;
  };
}

/** Renders one message without keeping a renderer: for previews and tests. */
export function renderMessage(message: OtpMessage, options: TemplateOptions = {}): RenderedMessage {
  return createTemplateRenderer(options)(message);
}

export { escapeHtml };

interface Values {
  code: string;
  minutes: string;
  appName: string;
  purpose: string;
}

function fill(template: string, values: Values, escape: (value: string) => string = (value) => value): string {
  return template.replace(/\{(code|minutes|appName|purpose)\}/g, (_, name: keyof Values) => escape(values[name]));
}

function renderBuiltIn(strings: LocaleStrings, kind: PurposeKind, locale: string, values: Values, minutes: number): RenderedMessage {
  const texts: KindStrings = strings.kinds[kind] ?? strings.kinds.generic;
  const plural = new Intl.PluralRules(locale).select(minutes);
  const subject = fill(texts.subject, values);
  const lead = fill(texts.lead, values);
  const expires = fill(strings.expires[plural] ?? strings.expires.other, values);
  const ignore = fill(strings.ignore, values);
  const text = `${lead}\n\n${strings.codeLabel} ${values.code}\n\n${expires}\n\n${ignore}\n`;
  const body =
    `<p>${escapeHtml(lead)}</p>\n<p>${escapeHtml(strings.codeLabel)}</p>\n` +
    `<p style="font-size:28px;font-weight:700;letter-spacing:4px;font-family:ui-monospace,Menlo,Consolas,monospace">${escapeHtml(values.code)}</p>\n` +
    `<p>${escapeHtml(expires)}</p>\n<p style="color:#555;font-size:13px">${escapeHtml(ignore)}</p>`;
  return { locale, subject, text, html: htmlDocument(locale, subject, body), sms: fill(texts.sms, values) };
}

function htmlDocument(locale: string, subject: string, body: string): string {
  return (
    `<!doctype html>\n<html lang="${escapeHtml(locale)}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111;line-height:1.5">\n${body}\n</body></html>\n`
  );
}

function textToHtml(text: string): string {
  return text
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
}

function kindOf(purpose: string): PurposeKind {
  const normalized = purpose.toLowerCase().replace(/[-.:\s]/g, "_");
  if ((PURPOSE_KINDS as readonly string[]).includes(normalized)) return normalized as PurposeKind;
  return own(KIND_ALIASES, normalized) ?? "generic";
}

/** Own properties only: a purpose named "constructor" must not find Object.prototype's. */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

// --- option checks -------------------------------------------------------------------------

/** What `appName` may be: 1-100 characters, not all blank, no control characters. */
export function isAppName(value: string): boolean {
  return value.trim() !== "" && value.length <= 100 && !CONTROL.test(value);
}

/** A DNS host name (RFC 1123 labels), as `webOtpDomain` must be. */
export function isHostName(value: string): boolean {
  return HOSTNAME.test(value);
}

function checkedAppName(appName: unknown): string {
  if (appName === undefined) return DEFAULT_APP_NAME;
  if (typeof appName !== "string" || !isAppName(appName)) {
    throw new TypeError("otp-actions: appName must be 1-100 characters without control characters");
  }
  return appName;
}

function checkedDomain(domain: unknown): string | undefined {
  if (domain === undefined) return undefined;
  if (typeof domain !== "string" || !isHostName(domain)) throw new TypeError("otp-actions: webOtpDomain must be a host name such as 'example.com'");
  return domain.toLowerCase();
}

function mergedLocales(extra: Record<string, LocaleStrings> | undefined): Record<string, LocaleStrings> {
  const merged: Record<string, LocaleStrings> = { ...BUILT_IN_LOCALES };
  for (const [tag, strings] of Object.entries(extra ?? {})) {
    if (!/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(tag)) throw new TypeError(`otp-actions: locales: '${tag}' is not a language tag`);
    const generic = strings?.kinds?.generic;
    const complete =
      typeof strings?.codeLabel === "string" &&
      typeof strings.ignore === "string" &&
      typeof strings.expires?.other === "string" &&
      ["subject", "lead", "sms"].every((part) => typeof generic?.[part as keyof KindStrings] === "string");
    if (!complete) throw new TypeError(`otp-actions: locales.${tag} needs kinds.generic {subject, lead, sms}, codeLabel, expires.other and ignore`);
    merged[tag] = strings;
  }
  return merged;
}

function checkedTemplates(templates: Record<string, TemplateOverride> | undefined): Record<string, TemplateOverride> {
  if (templates === undefined) return {};
  if (typeof templates !== "object" || templates === null) throw new TypeError("otp-actions: templates must be an object keyed by purpose");
  for (const [purpose, override] of Object.entries(templates)) {
    if (typeof override === "function") continue;
    try {
      checkedStrings(override);
    } catch {
      throw new TypeError(`otp-actions: templates.${purpose} must be a function or an object of strings (subject, text, html, sms)`);
    }
  }
  return templates;
}

function checkedStrings(strings: unknown): TemplateStrings {
  if (typeof strings !== "object" || strings === null) throw new TypeError("otp-actions: a template override must return an object of strings");
  for (const part of ["subject", "text", "html", "sms"] as const) {
    const value = (strings as TemplateStrings)[part];
    if (value !== undefined && typeof value !== "string") throw new TypeError(`otp-actions: template part '${part}' must be a string`);
  }
  return strings as TemplateStrings;
}

function checkedPurposeKinds(kinds: Record<string, PurposeKind> | undefined): Record<string, PurposeKind> {
  for (const [purpose, kind] of Object.entries(kinds ?? {})) {
    if (!(PURPOSE_KINDS as readonly string[]).includes(kind)) throw new TypeError(`otp-actions: purposeKinds.${purpose} must be one of ${PURPOSE_KINDS.join(", ")}`);
  }
  return { ...kinds };
}
