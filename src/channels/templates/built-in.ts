import { escapeHtml } from "../../core/html-escape.js";
import type { KindStrings, LocaleStrings, PurposeKind } from "../locales/index.js";
import { htmlDocument } from "./html-layout.js";
import { fill, type Values } from "./placeholders.js";
import type { RenderedMessage } from "./types.js";

/** The built-in message of a kind in a locale: subject, text, HTML and SMS, before any override. */
export function renderBuiltIn(strings: LocaleStrings, kind: PurposeKind, locale: string, values: Values, minutes: number): RenderedMessage {
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
