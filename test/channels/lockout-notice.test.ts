import { describe, expect, it } from "vitest";
import { BUILT_IN_LOCALES, renderMessage, type OtpMessage } from "../../src/index.js";

const notice: OtpMessage = {
  id: "v1-lockout",
  to: "user@example.com",
  code: "",
  purpose: "login",
  codeExpiresAt: new Date(0),
  notice: "lockout",
};

describe("the lockout notice's message", () => {
  it("is written in every shipped language, each in its own words, and carries no code", () => {
    const smsTexts = new Set<string>();
    for (const locale of Object.keys(BUILT_IN_LOCALES)) {
      const rendered = renderMessage({ ...notice, locale }, { appName: "Shop", webOtpDomain: "shop.example" });
      expect(rendered.locale).toBe(locale);
      expect(BUILT_IN_LOCALES[locale]!.lockout).toBeDefined();
      for (const part of [rendered.subject, rendered.text, rendered.sms]) expect(part).toContain("Shop");
      // No code, and no WebOTP line offering to fill one in.
      expect(rendered.sms).not.toContain("@shop.example");
      expect(rendered.html).toContain(`lang="${locale}"`);
      smsTexts.add(rendered.sms);
    }
    expect(smsTexts.size).toBe(Object.keys(BUILT_IN_LOCALES).length);
  });

  it("falls back to English for a language added without it", () => {
    const it_ = { ...BUILT_IN_LOCALES.en!, lockout: undefined };
    const rendered = renderMessage({ ...notice, locale: "it" }, { locales: { it: it_ } });
    expect(rendered.sms).toMatch(/someone tried to use a code for your account/);
  });
});
