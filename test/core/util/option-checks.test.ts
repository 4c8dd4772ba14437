import { describe, expect, it } from "vitest";
import { clockSkewOption, integerIn, timeoutOption } from "../../../src/core/util/option-checks.js";

describe("option checks", () => {
  it("integerIn takes a whole number within bounds and names the option otherwise", () => {
    expect(integerIn("x.limit", 5, 1, 10)).toBe(5);
    for (const bad of [0, 11, 2.5, Number.NaN, "5", null, undefined]) {
      expect(() => integerIn("x.limit", bad, 1, 10)).toThrow(new TypeError("otp-actions: x.limit must be an integer from 1 to 10"));
    }
  });

  it("a store's timeoutMs and clockSkewMs take their defaults and are checked by the same rule", () => {
    expect(timeoutOption("redis", undefined)).toBe(1000);
    expect(timeoutOption("sqliteAuditLog", undefined, 5000)).toBe(5000);
    expect(clockSkewOption("postgres", undefined)).toBe(250);
    expect(clockSkewOption("postgres", 0)).toBe(0);
    expect(() => timeoutOption("redis", 0)).toThrow(new TypeError("otp-actions: redisStore timeoutMs must be an integer from 1 to 60000"));
    expect(() => timeoutOption("redis", 60_001)).toThrow(/from 1 to 60000/);
    expect(() => clockSkewOption("postgres", 10_001)).toThrow(
      new TypeError("otp-actions: postgresStore clockSkewMs must be an integer from 0 to 10000"),
    );
    expect(() => clockSkewOption("postgres", -1)).toThrow(/from 0 to 10000/);
  });
});
