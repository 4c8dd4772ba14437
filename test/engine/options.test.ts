import { describe, expect, it } from "vitest";
import { createOtp, generateKey, parseKeys } from "../../src/index.js";
import { KEY_A } from "../helpers/otp.js";

describe("options are validated at construction", () => {
  it.each([
    [{ codeLength: 5 }],
    [{ codeLength: 11 }],
    [{ codeLength: 6.5 }],
    [{ codeTtlSeconds: 0 }],
    [{ maxAttempts: 0 }],
    [{ maxAttempts: 101 }],
    [{ codeTtlSeconds: 600, sessionTtlSeconds: 300 }],
    [{ storeTimeoutMs: -1 }],
    [{ purposes: { "bad purpose": {} } }],
    [{ purposes: { login: { maxAttempts: "3" } } }],
    [{ delivery: { retries: 99 } }],
    [{ defaultChannel: "sms" }],
    [{ defaultCountry: "us" }],
    [{ defaultCountry: "XX" }],
    [{ defaultCountry: "USA" }],
    [{ defaultCountry: 5 }],
    // A misspelt limit must not leave the default in force.
    [{ maxAttempt: 1 }],
    [{ purposes: { payment: { maxAttempt: 1 } } }],
    [{ delivery: { retry: 0 } }],
  ])("refuses %j with a TypeError", (options) => {
    expect(() => createOtp({ keys: KEY_A, ...(options as object) })).toThrow(TypeError);
  });

  it("takes a supported defaultCountry, for national numbers", async () => {
    const otp = createOtp({ keys: KEY_A, defaultCountry: "US" });
    expect((await otp.generate({ identifier: "(415) 555-0123", purpose: "login" })).identifier).toBe("+14155550123");
  });

  it("refuses per-call overrides out of range", async () => {
    const otp = createOtp({ keys: KEY_A });
    await expect(otp.generate({ identifier: "user@example.com", purpose: "login", codeLength: 4 })).rejects.toBeInstanceOf(TypeError);
  });

  it.each([
    ["", "empty"],
    ["nokid", "key id"],
    ["k1:short", "32 bytes"],
    [`k1:${"A".repeat(43)},k1:${"B".repeat(43)}`, "twice"],
    [`bad kid!:${"A".repeat(43)}`, "key id"],
    [`k1:${"A".repeat(42)}=`, "32 bytes"],
  ])("refuses malformed keys %j without echoing them", (keys, hint) => {
    expect(() => createOtp({ keys })).toThrow(TypeError);
    try {
      parseKeys(keys);
    } catch (error) {
      expect((error as Error).message).toContain(hint);
      if (keys.length > 10) expect((error as Error).message).not.toContain(keys.split(":")[1]!.slice(0, 20));
    }
  });

  it("requires keys", () => {
    expect(() => createOtp({} as never)).toThrow(TypeError);
    expect(() => createOtp(undefined as never)).toThrow(TypeError);
  });

  it("generateKey makes keys that parse, with a kid", () => {
    const key = generateKey("main");
    expect(key).toMatch(/^main:[A-Za-z0-9_-]{43}$/);
    expect(parseKeys(key).kids).toEqual(["main"]);
    expect(parseKeys(`${generateKey()}, ${generateKey()}`).kids).toHaveLength(2);
  });
});
