import { describe, expect, it } from "vitest";
import type { OtpMessage } from "../../src/contracts/channel.js";
import {
  BUILT_IN_LOCALES,
  PURPOSE_KINDS,
  createTemplateRenderer,
  negotiateLocale,
  renderMessage,
  smsSegments,
} from "../../src/channels/templates.js";

const NOW = Date.UTC(2026, 0, 1);
const now = () => NOW;

function message(overrides: Partial<OtpMessage> = {}): OtpMessage {
  return { id: "v1", to: "user@example.com", code: "042137", purpose: "login", codeExpiresAt: new Date(NOW + 5 * 60_000), ...overrides };
}

describe("negotiateLocale", () => {
  const available = ["en", "fr", "es", "de", "pt", "pt-BR"];
  it.each([
    ["fr-CA", "fr"],
    ["FR_ca", "fr"],
    ["pt-BR", "pt-BR"],
    ["pt-PT", "pt"],
    ["de", "de"],
    ["ja", "en"],
    ["zz-ZZ, de;q=0.8, fr;q=0.9", "fr"],
    ["ja,es;q=0.1", "es"],
    ["es;q=0, de", "de"],
    ["*", "en"],
    ["", "en"],
    ["<script>", "en"],
    ["x".repeat(10_000), "en"],
  ])("%s → %s", (requested, expected) => {
    expect(negotiateLocale(requested, available, "en")).toBe(expected);
  });

  it("gives the fallback for values that are not strings", () => {
    for (const value of [undefined, null, 42, {}, ["fr"]]) expect(negotiateLocale(value, available, "en")).toBe("en");
  });
});

describe("createTemplateRenderer", () => {
  it("renders subject, text, html and sms with the code, the minutes left and the app name", () => {
    const rendered = renderMessage(message(), { appName: "Acme", now });
    expect(rendered.locale).toBe("en");
    expect(rendered.subject).toBe("Your Acme sign-in code");
    expect(rendered.text).toContain("Your code: 042137");
    expect(rendered.text).toContain("It expires in 5 minutes.");
    expect(rendered.html).toContain(">042137</p>");
    expect(rendered.html).toContain('<html lang="en">');
    expect(rendered.sms).toBe("042137 is your Acme sign-in code. It expires in 5 min.");
  });

  it("rounds the minutes up and uses the singular where the language does", () => {
    const oneMinute = renderMessage(message({ codeExpiresAt: new Date(NOW + 30_000) }), { now });
    expect(oneMinute.text).toContain("It expires in 1 minute.");
    const rounded = renderMessage(message({ codeExpiresAt: new Date(NOW + 61_000) }), { now });
    expect(rounded.text).toContain("It expires in 2 minutes.");
    const expired = renderMessage(message({ codeExpiresAt: new Date(NOW - 1000) }), { now });
    expect(expired.text).toContain("It expires in 1 minute.");
  });

  it("negotiates the message locale: fr-CA gets French, an unknown one English", () => {
    const french = renderMessage(message({ locale: "fr-CA", purpose: "password_reset" }), { appName: "Acme", now });
    expect(french.locale).toBe("fr");
    expect(french.subject).toBe("Réinitialisez votre mot de passe Acme");
    expect(french.text).toContain("Il expire dans 5 minutes.");
    expect(french.html).toContain('<html lang="fr">');
    expect(renderMessage(message({ locale: "ja-JP" }), { now }).locale).toBe("en");
    expect(renderMessage(message({ locale: "ja-JP" }), { now, defaultLocale: "de" }).locale).toBe("de");
  });

  it("has every kind in every built-in language, and an unknown purpose gets the generic text", () => {
    expect(Object.keys(BUILT_IN_LOCALES).sort()).toEqual(["de", "en", "es", "fr", "pt"]);
    for (const strings of Object.values(BUILT_IN_LOCALES)) expect(Object.keys(strings.kinds).sort()).toEqual([...PURPOSE_KINDS].sort());
    expect(renderMessage(message({ purpose: "delete_project" }), { appName: "Acme", now }).subject).toBe("Your Acme verification code");
    expect(renderMessage(message({ purpose: "reset-password" }), { appName: "Acme", now }).subject).toBe("Reset your Acme password");
    expect(renderMessage(message({ purpose: "checkout" }), { appName: "Acme", now }).subject).toBe("Confirm your Acme payment");
    expect(renderMessage(message({ purpose: "wire" }), { appName: "Acme", now, purposeKinds: { wire: "payment" } }).subject).toBe(
      "Confirm your Acme payment",
    );
  });

  it("does not mistake Object.prototype members for templates or kinds", () => {
    for (const purpose of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(renderMessage(message({ purpose }), { appName: "Acme", now, templates: {} }).subject).toBe("Your Acme verification code");
    }
  });

  it("HTML-escapes everything interpolated into the HTML, and only there", () => {
    const appName = `<img src=x onerror="alert('x')">&`;
    const rendered = renderMessage(message({ locale: "<b>" }), { appName, now });
    expect(rendered.html).not.toContain("<img");
    expect(rendered.html).toContain("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;");
    expect(rendered.subject).toContain(appName);
    expect(rendered.text).toContain(appName);

    const custom = renderMessage(message(), { appName, now, templates: { login: { html: "<p>{appName}: <b>{code}</b></p>" } } });
    expect(custom.html).toBe("<p>&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;: <b>042137</b></p>");
  });

  it("lets the application override templates per purpose, with objects or functions", () => {
    const render = createTemplateRenderer({
      appName: "Acme",
      now,
      templates: {
        login: { subject: "{code} for {appName}", text: "Code: {code}\nValid {minutes} min.\n\nBye <3" },
        payment: ({ locale, code, defaults }) => (locale === "fr" ? { sms: `Paiement : ${code}` } : { sms: `${defaults.sms} (payment)` }),
      },
    });
    const login = render(message());
    expect(login.subject).toBe("042137 for Acme");
    expect(login.text).toBe("Code: 042137\nValid 5 min.\n\nBye <3");
    expect(login.html).toContain("<p>Code: 042137<br>Valid 5 min.</p>\n<p>Bye &lt;3</p>");
    expect(login.sms).toBe("042137 is your Acme sign-in code. It expires in 5 min.");
    expect(render(message({ purpose: "payment", locale: "fr" })).sms).toBe("Paiement : 042137");
    expect(render(message({ purpose: "payment" })).sms).toMatch(/never share it.*\(payment\)$/i);
    expect(render(message({ purpose: "payment" })).subject).toBe("Confirm your Acme payment");
  });

  it("accepts extra languages and prefers a region-specific one when asked", () => {
    const ptBR = {
      ...BUILT_IN_LOCALES.pt!,
      kinds: { ...BUILT_IN_LOCALES.pt!.kinds, generic: { subject: "Seu código {appName}", lead: "Oi.", sms: "{code}" } },
    };
    const render = createTemplateRenderer({ appName: "Acme", now, locales: { "pt-BR": ptBR } });
    expect(render(message({ locale: "pt-br", purpose: "x" })).subject).toBe("Seu código Acme");
    expect(render(message({ locale: "pt-PT", purpose: "x" })).subject).toBe("O seu código de verificação Acme");
  });

  it("appends the WebOTP line `@domain #code` as the last SMS line", () => {
    const rendered = renderMessage(message(), { appName: "Acme", now, webOtpDomain: "Login.Example.com" });
    expect(rendered.sms.split("\n").at(-1)).toBe("@login.example.com #042137");
    expect(renderMessage(message(), { now }).sms).not.toContain("@");
  });

  it("keeps every built-in SMS to one segment with an 8-digit code, an app name and the WebOTP line", () => {
    for (const locale of Object.keys(BUILT_IN_LOCALES)) {
      for (const purpose of PURPOSE_KINDS) {
        const { sms } = renderMessage(message({ locale, purpose, code: "12345678", codeExpiresAt: new Date(NOW + 10 * 60_000) }), {
          appName: "Acme Bank",
          now,
          webOtpDomain: "app.acme-bank.com",
        });
        expect(smsSegments(sms), `${locale}/${purpose}: ${sms}`).toMatchObject({ encoding: "GSM-7", segments: 1 });
      }
    }
  });

  it("refuses bad options at construction", () => {
    expect(() => createTemplateRenderer({ appName: "" })).toThrow(TypeError);
    expect(() => createTemplateRenderer({ appName: "Acme\r\nBcc: x@y.z" })).toThrow(TypeError);
    expect(() => createTemplateRenderer({ webOtpDomain: "https://example.com" })).toThrow(TypeError);
    expect(() => createTemplateRenderer({ webOtpDomain: "exa mple.com" })).toThrow(TypeError);
    expect(() => createTemplateRenderer({ templates: { login: { subject: 42 } as never } })).toThrow(TypeError);
    expect(() => createTemplateRenderer({ locales: { it: { kinds: {} } as never } })).toThrow(TypeError);
    expect(() => createTemplateRenderer({ purposeKinds: { wire: "transfer" as never } })).toThrow(TypeError);
  });
});

describe("smsSegments", () => {
  it("counts GSM-7 septets, extension characters twice, and falls back to UCS-2", () => {
    expect(smsSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(smsSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, segments: 2 });
    expect(smsSegments("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(smsSegments("código")).toEqual({ encoding: "UCS-2", units: 6, segments: 1 });
    expect(smsSegments("ó".repeat(71))).toEqual({ encoding: "UCS-2", units: 71, segments: 2 });
  });
});
