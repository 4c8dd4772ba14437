import { describe, expect, it } from "vitest";
import { maskIdentifier, normalizeIdentifier, OtpError } from "../../src/index.js";

describe("identifiers", () => {
  it("normalises emails: trimmed and lower-cased", () => {
    expect(normalizeIdentifier("  User.Name+tag@Example.COM ")).toEqual({ kind: "email", value: "user.name+tag@example.com" });
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
