import { describe, expect, it } from "vitest";
import { maskIdentifier, normalizeIdentifier, OtpError } from "../../src/index.js";

describe("identifiers", () => {
  it("normalises emails: trimmed and lower-cased", () => {
    expect(normalizeIdentifier("  User.Name+tag@Example.COM ")).toEqual({ kind: "email", value: "user.name+tag@example.com" });
  });

  it("gives an email address one identity whatever its Unicode composition or case", () => {
    const composed = "jos\u00e9@example.com";
    for (const spelling of [composed, "jose\u0301@example.com", "JOSE\u0301@example.com", "JOS\u00c9@Example.com"]) {
      expect(normalizeIdentifier(spelling).value, JSON.stringify(spelling)).toBe(composed);
    }
  });

  it("refuses invisible and unencodable characters in an email address", () => {
    for (const spelling of ["user\u200b@example.com", "us\u00ader@example.com", "user\u0001@example.com", "user\ud800@example.com", "\ue000user@example.com"]) {
      expect(() => normalizeIdentifier(spelling), JSON.stringify(spelling)).toThrowError(expect.objectContaining({ code: "INVALID_IDENTIFIER" }));
    }
  });

  it("normalises phone numbers to E.164, one identity per number", () => {
    for (const spelling of ["+1 (415) 555-0123", "+14155550123", " +1-415-555-0123 "]) {
      expect(normalizeIdentifier(spelling)).toEqual({ kind: "phone", value: "+14155550123" });
    }
    expect(normalizeIdentifier("(415) 555-0123", { defaultCountry: "US" }).value).toBe("+14155550123");
    expect(normalizeIdentifier("06 12 34 56 78", { defaultCountry: "FR" }).value).toBe("+33612345678");
  });

  it("uses the kind the channel gives", () => {
    expect(() => normalizeIdentifier("user@example.com", { kind: "phone" })).toThrow(OtpError);
    expect(() => normalizeIdentifier("+14155550123", { kind: "email" })).toThrow(OtpError);
  });

  it.each(["", "   ", "user", "user@", "@example.com", "user@example", "us er@example.com", "+1 415", "+999 123", "1-800-FLOWERS", "+14155550123 ext. 5"])(
    "refuses %j with INVALID_IDENTIFIER",
    (value) => {
      try {
        normalizeIdentifier(value);
        throw new Error("accepted");
      } catch (error) {
        expect((error as OtpError).code).toBe("INVALID_IDENTIFIER");
      }
    },
  );

  it("masks for display", () => {
    expect(maskIdentifier("user@example.com")).toBe("u***@example.com");
    expect(maskIdentifier("+14155550123")).toBe("+1415*****23");
  });
});
