import { en } from "../locales/en.js";
import type { LocaleStrings } from "../locales/index.js";
import { htmlDocument, textToHtml } from "./html-layout.js";
import { fill, type Values } from "./placeholders.js";
import type { RenderedMessage } from "./types.js";

/**
 * The notice a lockout sends, in the locale's words (else English): subject, text, HTML and SMS,
 * with no code and no WebOTP line, since there is no code to fill in.
 */
export function renderLockoutNotice(strings: LocaleStrings, locale: string, values: Values): RenderedMessage {
  const texts = strings.lockout ?? en.lockout!;
  const subject = fill(texts.subject, values);
  const text = `${fill(texts.text, values)}\n`;
  return { locale, subject, text, html: htmlDocument(locale, subject, textToHtml(text)), sms: fill(texts.sms, values) };
}
