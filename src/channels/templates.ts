import { escapeHtml } from "../core/html-escape.js";
import type { OtpMessage } from "../contracts/channel.js";
import { negotiateLocale } from "./locale-negotiation.js";
import { renderBuiltIn } from "./templates/built-in.js";
import { renderLockoutNotice } from "./templates/lockout-notice.js";
import { htmlDocument, textToHtml } from "./templates/html-layout.js";
import { kindOf, own } from "./templates/kinds.js";
import {
  checkedAppName,
  checkedDomain,
  checkedPurposeKinds,
  checkedStrings,
  checkedTemplates,
  mergedLocales,
} from "./templates/option-checks.js";
import { fill, type Values } from "./templates/placeholders.js";
import { transactionValues } from "./templates/transaction-text.js";
import type { RenderedMessage, TemplateOptions, TemplateRenderer } from "./templates/types.js";

export { negotiateLocale } from "./locale-negotiation.js";
export { smsSegments, type SmsSegments } from "./sms-segments.js";
export {
  BUILT_IN_LOCALES,
  PURPOSE_KINDS,
  type KindStrings,
  type LocaleStrings,
  type LockoutStrings,
  type PurposeKind,
  type TransactionStrings,
} from "./locales/index.js";
export type {
  RenderedMessage,
  TemplateContext,
  TemplateOptions,
  TemplateOverride,
  TemplateRenderer,
  TemplateStrings,
} from "./templates/types.js";
export { isAppName, isHostName } from "./templates/option-checks.js";

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
    const values: Values = {
      code: message.code,
      minutes: String(minutes),
      appName,
      purpose: message.purpose,
      ...(message.transaction && transactionValues(message.transaction, locale, false)),
    };
    if (message.notice === "lockout") return renderLockoutNotice(strings, locale, values);
    const defaults = renderBuiltIn(strings, kind, locale, values, minutes, message.transaction);

    const override = own(templates, message.purpose) ?? own(templates, kind);
    const custom =
      typeof override === "function"
        ? checkedStrings(
            override({
              ...values,
              minutes,
              kind,
              locale,
              to: message.to,
              ...(message.metadata && { metadata: message.metadata }),
              defaults,
            }),
          )
        : override;
    const rendered: RenderedMessage = { ...defaults };
    if (custom?.subject !== undefined) rendered.subject = fill(custom.subject, values);
    if (custom?.text !== undefined) {
      rendered.text = fill(custom.text, values);
      rendered.html = htmlDocument(locale, rendered.subject, textToHtml(rendered.text));
    }
    if (custom?.html !== undefined) rendered.html = fill(custom.html, values, escapeHtml);
    if (custom?.sms !== undefined)
      rendered.sms = fill(
        custom.sms,
        message.transaction ? { ...values, ...transactionValues(message.transaction, locale, true) } : values,
      );
    if (webOtpDomain) rendered.sms = `${rendered.sms}\n\n@${webOtpDomain} #${message.code}`;
    return rendered;
  };
}

/** Renders one message without keeping a renderer: for previews and tests. */
export function renderMessage(message: OtpMessage, options: TemplateOptions = {}): RenderedMessage {
  return createTemplateRenderer(options)(message);
}

export { escapeHtml };
