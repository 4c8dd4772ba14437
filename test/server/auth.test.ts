import { describe, expect, it } from "vitest";
import { apiKeyMatcher } from "../../src/server/auth.js";

describe("API key matching", () => {
  const short = "short-key-0123456789";
  const long = "L".repeat(512);
  const matches = apiKeyMatcher([short, long]);

  it("accepts each configured key exactly", () => {
    expect(matches(short)).toBe(true);
    expect(matches(long)).toBe(true);
  });

  it("refuses prefixes, extensions and changed characters, whichever key they come near", () => {
    for (const key of [short, long]) {
      expect(matches(key.slice(0, -1))).toBe(false);
      expect(matches(`${key}x`)).toBe(false);
      expect(matches(`x${key.slice(1)}`)).toBe(false);
      expect(matches(`${key.slice(0, -1)}!`)).toBe(false);
    }
    expect(matches("")).toBe(false);
    expect(matches("L".repeat(513))).toBe(false);
  });

  it("tells a key from the same key with trailing zero bytes (padding is not part of a key)", () => {
    expect(apiKeyMatcher(["abc\u0000"])("abc")).toBe(false);
    expect(apiKeyMatcher(["abc"])("abc\u0000")).toBe(false);
  });

  it("compares keys longer than a request may present without cutting them", () => {
    const huge = "k".repeat(700);
    const matchesHuge = apiKeyMatcher([huge]);
    expect(matchesHuge(huge)).toBe(true);
    expect(matchesHuge(huge.slice(0, 512))).toBe(false);
  });
});
