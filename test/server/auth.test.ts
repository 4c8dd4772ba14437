import { describe, expect, it } from "vitest";
import { apiKeyMatcher } from "../../src/server/auth.js";

/** What a bare string key holds: every scope, as bits. */
const ALL_SCOPES = 0b1111;

describe("API key matching", () => {
  const short = "short-key-0123456789";
  const long = "L".repeat(512);
  const matches = apiKeyMatcher([short, long]);

  it("accepts each configured key exactly", () => {
    expect(matches(short)).toBe(ALL_SCOPES);
    expect(matches(long)).toBe(ALL_SCOPES);
  });

  it("refuses prefixes, extensions and changed characters, whichever key they come near", () => {
    for (const key of [short, long]) {
      expect(matches(key.slice(0, -1))).toBe(0);
      expect(matches(`${key}x`)).toBe(0);
      expect(matches(`x${key.slice(1)}`)).toBe(0);
      expect(matches(`${key.slice(0, -1)}!`)).toBe(0);
    }
    expect(matches("")).toBe(0);
    expect(matches("L".repeat(513))).toBe(0);
  });

  it("tells a key from the same key with trailing zero bytes (padding is not part of a key)", () => {
    expect(apiKeyMatcher(["abc\u0000"])("abc")).toBe(0);
    expect(apiKeyMatcher(["abc"])("abc\u0000")).toBe(0);
  });

  it("compares keys longer than a request may present without cutting them", () => {
    const huge = "k".repeat(700);
    const matchesHuge = apiKeyMatcher([huge]);
    expect(matchesHuge(huge)).toBe(ALL_SCOPES);
    expect(matchesHuge(huge.slice(0, 512))).toBe(0);
  });
});
