import { describe, expect, it } from "vitest";
import { apiKeyIndexMatcher, apiKeyMatcher } from "../../src/server/auth.js";

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

  it("tells which key matched, by its position, and -1 for none", () => {
    const keys = ["first-key-0123456789", { key: "second-key-0123456789", scopes: ["audit" as const] }, "third-key-0123456789"];
    const match = apiKeyIndexMatcher(keys);
    expect(match("first-key-0123456789")).toEqual({ scopes: ALL_SCOPES, index: 0 });
    expect(match("second-key-0123456789")).toEqual({ scopes: 0b0010, index: 1 });
    expect(match("third-key-0123456789")).toEqual({ scopes: ALL_SCOPES, index: 2 });
    expect(match("fourth-key-0123456789")).toEqual({ scopes: 0, index: -1 });
  });
});
