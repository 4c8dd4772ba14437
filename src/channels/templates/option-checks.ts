/**
 * The checks of the renderer's options, run once when it is built: misuse is a TypeError at
 * construction, never a broken message later.
 */
import { BUILT_IN_LOCALES, PURPOSE_KINDS, type KindStrings, type LocaleStrings, type PurposeKind } from "../locales/index.js";
import type { TemplateOverride, TemplateStrings } from "./types.js";

export const DEFAULT_APP_NAME = "otp-actions";
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** What `appName` may be: 1-100 characters, not all blank, no control characters. */
export function isAppName(value: string): boolean {
  return value.trim() !== "" && value.length <= 100 && !CONTROL.test(value);
}

/** A DNS host name (RFC 1123 labels), as `webOtpDomain` must be. */
export function isHostName(value: string): boolean {
  return HOSTNAME.test(value);
}

export function checkedAppName(appName: unknown): string {
  if (appName === undefined) return DEFAULT_APP_NAME;
  if (typeof appName !== "string" || !isAppName(appName)) {
    throw new TypeError("otp-actions: appName must be 1-100 characters without control characters");
  }
  return appName;
}

export function checkedDomain(domain: unknown): string | undefined {
  if (domain === undefined) return undefined;
  if (typeof domain !== "string" || !isHostName(domain))
    throw new TypeError("otp-actions: webOtpDomain must be a host name such as 'example.com'");
  return domain.toLowerCase();
}

export function mergedLocales(extra: Record<string, LocaleStrings> | undefined): Record<string, LocaleStrings> {
  const merged: Record<string, LocaleStrings> = { ...BUILT_IN_LOCALES };
  for (const [tag, strings] of Object.entries(extra ?? {})) {
    if (!/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(tag)) throw new TypeError(`otp-actions: locales: '${tag}' is not a language tag`);
    const generic = strings?.kinds?.generic;
    const complete =
      typeof strings?.codeLabel === "string" &&
      typeof strings.ignore === "string" &&
      typeof strings.expires?.other === "string" &&
      ["subject", "lead", "sms"].every((part) => typeof generic?.[part as keyof KindStrings] === "string");
    if (!complete)
      throw new TypeError(`otp-actions: locales.${tag} needs kinds.generic {subject, lead, sms}, codeLabel, expires.other and ignore`);
    merged[tag] = strings;
  }
  return merged;
}

export function checkedTemplates(templates: Record<string, TemplateOverride> | undefined): Record<string, TemplateOverride> {
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

export function checkedStrings(strings: unknown): TemplateStrings {
  if (typeof strings !== "object" || strings === null)
    throw new TypeError("otp-actions: a template override must return an object of strings");
  for (const part of ["subject", "text", "html", "sms"] as const) {
    const value = (strings as TemplateStrings)[part];
    if (value !== undefined && typeof value !== "string") throw new TypeError(`otp-actions: template part '${part}' must be a string`);
  }
  return strings as TemplateStrings;
}

export function checkedPurposeKinds(kinds: Record<string, PurposeKind> | undefined): Record<string, PurposeKind> {
  for (const [purpose, kind] of Object.entries(kinds ?? {})) {
    if (!(PURPOSE_KINDS as readonly string[]).includes(kind))
      throw new TypeError(`otp-actions: purposeKinds.${purpose} must be one of ${PURPOSE_KINDS.join(", ")}`);
  }
  return { ...kinds };
}
