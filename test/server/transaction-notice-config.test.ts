import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/server/config.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((problem) => `${problem.variable ?? ""} ${problem.problem}`);
  }
  return [];
}

describe("the service's transaction and lockout-notice settings", () => {
  it("OTP_TRANSACTION and OTP_LOCKOUT_NOTICE set the engine's policy", () => {
    const config = loadConfig({ OTP_TRANSACTION: "required", OTP_LOCKOUT_NOTICE: "true" });
    expect(config.policy).toMatchObject({ transaction: "required", lockoutNotice: true });
  });

  it("refuses values the engine would not take, naming the variable", () => {
    expect(problems({ OTP_TRANSACTION: "always" }).join("\n")).toMatch(/OTP_TRANSACTION/);
    expect(problems({ OTP_LOCKOUT_NOTICE: "maybe" }).join("\n")).toMatch(/OTP_LOCKOUT_NOTICE/);
  });
});
