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

  it("measures an email address in bytes, as the token stores it", () => {
    const cjk = "\u4e2d".repeat(21); // 63 bytes of UTF-8
    expect(normalizeIdentifier(`${cjk}a@example.com`).value).toBe(`${cjk}a@example.com`);
    expect(() => normalizeIdentifier(`${cjk}\u4e2d@example.com`)).toThrowError(expect.objectContaining({ code: "INVALID_IDENTIFIER" }));
    // 64 characters before the @, three bytes each: it was accepted, then issuing threw.
    const long = `${"\u4e2d".repeat(64)}@${"d".repeat(60)}.example.com`;
    expect(() => normalizeIdentifier(long)).toThrowError(expect.objectContaining({ code: "INVALID_IDENTIFIER" }));
    const domain = `${"d".repeat(63)}.${"e".repeat(63)}.${"f".repeat(63)}.com`; // 195 characters
    expect(normalizeIdentifier(`${"u".repeat(58)}@${domain}`).value).toHaveLength(254);
    expect(() => normalizeIdentifier(`${"u".repeat(57)}\u00e9@${domain}`)).toThrowError(
      expect.objectContaining({ code: "INVALID_IDENTIFIER" }),
    );
  });

  it("refuses invisible and unencodable characters in an email address", () => {
    for (const spelling of [
      "user\u200b@example.com",
      "us\u00ader@example.com",
      "user\u0001@example.com",
      "user\ud800@example.com",
      "\ue000user@example.com",
    ]) {
      expect(() => normalizeIdentifier(spelling), JSON.stringify(spelling)).toThrowError(
        expect.objectContaining({ code: "INVALID_IDENTIFIER" }),
      );
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

  it.each([
    "",
    "   ",
    "user",
    "user@",
    "@example.com",
    "user@example",
    "us er@example.com",
    "+1 415",
    "+999 123",
    "1-800-FLOWERS",
    "+14155550123 ext. 5",
  ])("refuses %j with INVALID_IDENTIFIER", (value) => {
    try {
      normalizeIdentifier(value);
      throw new Error("accepted");
    } catch (error) {
      expect((error as OtpError).code).toBe("INVALID_IDENTIFIER");
    }
  });

  it("names the kind an identifier was taken for in its refusal", () => {
    const messageOf = (value: string, kind?: "email" | "phone") => {
      try {
        normalizeIdentifier(value, kind ? { kind } : {});
      } catch (error) {
        return (error as OtpError).message;
      }
      throw new Error("accepted");
    };
    // No "@" and nothing of a number: typed for an address, refused as one.
    expect(messageOf("nope")).toBe("The identifier is not a valid email address.");
    expect(messageOf("jane.doe")).toBe("The identifier is not a valid email address.");
    expect(messageOf("user@")).toBe("The identifier is not a valid email address.");
    expect(messageOf("+1 415")).toBe("The identifier is not a valid phone number.");
    expect(messageOf("(415) 555")).toBe("The identifier is not a valid phone number.");
    expect(messageOf("1-800-FLOWERS")).toBe("The identifier is not a valid phone number.");
    // The kind a channel gives wins over the guess.
    expect(messageOf("nope", "phone")).toBe("The identifier is not a valid phone number.");
  });

  it("masks for display", () => {
    expect(maskIdentifier("user@example.com")).toBe("u***@example.com");
    expect(maskIdentifier("+14155550123")).toBe("+1415*****23");
  });
});
