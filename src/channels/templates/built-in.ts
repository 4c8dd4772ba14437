import { escapeHtml } from "../../core/html-escape.js";
import type { Transaction } from "../../core/transaction.js";
import type { KindStrings, LocaleStrings, PurposeKind } from "../locales/index.js";
import { htmlDocument } from "./html-layout.js";
import { fill, type Values } from "./placeholders.js";
import { transactionStrings, transactionValues } from "./transaction-text.js";
import type { RenderedMessage } from "./types.js";

/**
 * The built-in message of a kind in a locale: subject, text, HTML and SMS, before any override.
 * A code bound to a transaction names its amount and payee in the email and in the SMS.
 */
export function renderBuiltIn(
  strings: LocaleStrings,
  kind: PurposeKind,
  locale: string,
  values: Values,
  minutes: number,
  transaction?: Transaction,
): RenderedMessage {
  const texts: KindStrings = strings.kinds[kind] ?? strings.kinds.generic;
  const plural = new Intl.PluralRules(locale).select(minutes);
  const subject = fill(texts.subject, values);
  const lead = fill(texts.lead, values);
  const expires = fill(strings.expires[plural] ?? strings.expires.other, values);
  const ignore = fill(strings.ignore, values);
  const payment = transaction && transactionStrings(strings);
  const paymentLine = payment ? fill(payment.lead, values) : undefined;
  const text = `${lead}\n\n${paymentLine ? `${paymentLine}\n\n` : ""}${strings.codeLabel} ${values.code}\n\n${expires}\n\n${ignore}\n`;
  const body =
    `<p>${escapeHtml(lead)}</p>\n${paymentLine ? `<p><strong>${escapeHtml(paymentLine)}</strong></p>\n` : ""}<p>${escapeHtml(strings.codeLabel)}</p>\n` +
    `<p style="font-size:28px;font-weight:700;letter-spacing:4px;font-family:ui-monospace,Menlo,Consolas,monospace">${escapeHtml(values.code)}</p>\n` +
    `<p>${escapeHtml(expires)}</p>\n<p style="color:#555;font-size:13px">${escapeHtml(ignore)}</p>`;
  const sms =
    payment && transaction ? fill(payment.sms, { ...values, ...transactionValues(transaction, locale, true) }) : fill(texts.sms, values);
  return { locale, subject, text, html: htmlDocument(locale, subject, body), sms };
}
