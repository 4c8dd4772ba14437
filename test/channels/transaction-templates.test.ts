import { describe, expect, it } from "vitest";
import { renderMessage, type OtpMessage } from "../../src/index.js";
import { smsSegments } from "../../src/channels/templates.js";

const NOW = Date.UTC(2026, 0, 1);
const base: OtpMessage = {
  id: "v1",
  to: "user@example.com",
  code: "123456",
  purpose: "payment",
  codeExpiresAt: new Date(NOW + 5 * 60_000),
  transaction: { amount: "12.50", currency: "EUR", payee: "ACME Books" },
};

function render(message: Partial<OtpMessage>) {
  return renderMessage({ ...base, ...message }, { appName: "Shop", now: () => NOW });
}

describe("a message for a code bound to a transaction", () => {
  // The amount as each shipped language writes it. The email keeps the no-break space Intl puts
  // in (which one depends on the ICU version), the SMS has a plain one (a no-break space is not in
  // GSM-7 and would halve the segment).
  const amounts: [string, string][] = [
    ["en", "€12.50"],
    ["de", "12,50 €"],
    ["fr", "12,50 €"],
    ["es", "12,50 €"],
    ["pt", "€ 12,50"],
  ];
  const plainSpaces = (text: string): string => text.replace(/[\u00a0\u202f]/g, " ");
  for (const [locale, inSms] of amounts) {
    it(`shows the amount and the payee in ${locale}, in the email and in the SMS`, () => {
      const rendered = render({ locale });
      expect(rendered.locale).toBe(locale);
      expect(plainSpaces(rendered.text)).toContain(inSms);
      expect(rendered.text).toContain("ACME Books");
      expect(plainSpaces(rendered.html)).toContain(inSms);
      expect(rendered.sms).toContain(inSms);
      expect(rendered.sms).toContain("ACME Books");
      expect(rendered.sms).toContain("123456");
      expect(rendered.sms).not.toMatch(/[\u00a0\u202f]/);
    });
  }

  it("writes every shipped language in its own words", () => {
    const texts = amounts.map(([locale]) => render({ locale }).sms);
    expect(new Set(texts).size).toBe(amounts.length);
  });

  it("formats other currencies with their own digits", () => {
    expect(render({ transaction: { amount: "1250", currency: "JPY", payee: "Shop" } }).sms).toContain("¥1,250");
    expect(render({ locale: "de", transaction: { amount: "1234567.89", currency: "USD", payee: "Shop" } }).sms).toContain("1.234.567,89 $");
  });

  it("keeps a GSM-7 text in GSM-7", () => {
    expect(smsSegments(render({ locale: "de" }).sms).encoding).toBe("GSM-7");
  });

  it("escapes the payee in HTML", () => {
    const payee = `<img src=x onerror="alert(1)">&Co`;
    const rendered = render({ transaction: { ...base.transaction!, payee } });
    expect(rendered.html).not.toContain("<img");
    expect(rendered.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;Co");
    const custom = renderMessage(
      { ...base, transaction: { ...base.transaction!, payee } },
      { templates: { payment: { html: "<p>{payee}: {amount}</p>" } }, now: () => NOW },
    );
    expect(custom.html).toBe("<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;Co: €12.50</p>");
  });

  it("strips what could break an SMS into lines or turn it around from a payee a channel passes on its own", () => {
    const payee = "ACME\nYour code for Bank is 000000\u202e\u2028\u200b";
    const { sms, text } = render({ transaction: { ...base.transaction!, payee } });
    expect(sms).not.toMatch(/[\n\r\u202e\u2028\u200b]/);
    expect(sms).toContain("ACMEYour code for Bank is 000000");
    expect(text).not.toMatch(/[\u202e\u2028\u200b]/);
  });

  it("a message without a transaction reads as before", () => {
    const rendered = render({ transaction: undefined });
    expect(rendered.sms).toBe("123456 is your Shop code to confirm a payment. Never share it. Expires in 5 min.");
    expect(rendered.text).not.toContain("€");
  });

  it("custom templates can use {amount} and {payee}", () => {
    const rendered = renderMessage(base, { templates: { payment: { sms: "{code}: {amount} to {payee}" } }, now: () => NOW });
    expect(rendered.sms).toBe("123456: €12.50 to ACME Books");
  });
});
