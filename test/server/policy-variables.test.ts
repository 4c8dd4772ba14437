import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, POLICY_BOUNDS, resolvePolicy, type BoundedPolicyField } from "../../src/engine/options.js";
import { ConfigError, loadConfig } from "../../src/server/config.js";

const VARIABLES: Record<BoundedPolicyField, string> = {
  codeLength: "OTP_CODE_LENGTH",
  codeTtlSeconds: "OTP_CODE_TTL_SECONDS",
  sessionTtlSeconds: "OTP_SESSION_TTL_SECONDS",
  maxAttempts: "OTP_MAX_ATTEMPTS",
  maxSendsPerSession: "OTP_MAX_SENDS_PER_SESSION",
};

function problemOf(env: Record<string, string>, variable: string): string | undefined {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.find((problem) => problem.variable === variable)?.problem;
  }
  return undefined;
}

describe("policy variables follow the engine's bounds", () => {
  for (const [field, { min, max }] of Object.entries(POLICY_BOUNDS) as Array<[BoundedPolicyField, { min: number; max: number }]>) {
    const variable = VARIABLES[field];
    it(`${variable} and ${field} accept ${min} to ${max}, and say so otherwise`, () => {
      // Both ends are in range for the engine and for the service (the session TTL is kept at
      // least the code TTL, so only the bound under test can refuse).
      const paired = (value: number): Record<string, number> =>
        field === "codeTtlSeconds"
          ? { codeTtlSeconds: value, sessionTtlSeconds: POLICY_BOUNDS.sessionTtlSeconds.max }
          : field === "sessionTtlSeconds"
            ? { sessionTtlSeconds: value, codeTtlSeconds: 1 }
            : { [field]: value };
      const env = (value: number): Record<string, string> =>
        Object.fromEntries(Object.entries(paired(value)).map(([name, n]) => [VARIABLES[name as BoundedPolicyField], String(n)]));
      for (const value of [min, max]) {
        expect(() => resolvePolicy(DEFAULT_POLICY, paired(value), "policy")).not.toThrow();
        expect(loadConfig(env(value)).policy[field]).toBe(value);
      }
      for (const value of [min - 1, max + 1]) {
        expect(() => resolvePolicy(DEFAULT_POLICY, paired(value), "policy")).toThrow(
          `policy.${field} must be an integer from ${min} to ${max}`,
        );
        expect(problemOf(env(value), variable)).toBe(`must be an integer from ${min} to ${max}, got '${value}'`);
      }
    });
  }
});
