/**
 * Alerts from the configuration: rules from the file, the webhook from the environment, checked
 * at start (a bad rule or an insecure URL refuses the start); the running service serves them.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";

const API_KEY = "alerts-config-api-key-0123";
const ENV = { PORT: "0", OTP_KEYS: generateKey("ac"), OTP_API_KEYS: `${API_KEY} admin`, OTP_STORE: "memory" };
const RULE = { name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 20 };

let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

function configFile(settings: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "otp-alerts-")), "otp-actions.json");
  writeFileSync(path, JSON.stringify(settings));
  return path;
}

const problems = (settings: unknown, env: Record<string, string> = {}) => {
  try {
    loadConfig({ ...ENV, ...env }, { configFile: configFile(settings) });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map(({ variable, problem }) => `${variable}: ${problem}`);
  }
};

describe("alerts in the configuration", () => {
  it("takes rules from the file and the webhook from the environment, and the service serves them", async () => {
    const config = loadConfig(
      {
        ...ENV,
        OTP_ALERTS_WEBHOOK_URL: "http://127.0.0.1:9/alerts",
        OTP_ALERTS_WEBHOOK_SECRET: "alerts-secret-0123456789",
        OTP_ALERTS_INTERVAL_SECONDS: "30",
      },
      { configFile: configFile({ alerts: { rules: [RULE] } }) },
    );
    expect(config.alerts).toEqual({
      intervalSeconds: 30,
      rules: [RULE],
      webhook: { url: "http://127.0.0.1:9/alerts", secrets: ["alerts-secret-0123456789"] },
    });
    service = await startService(config, { say: () => {}, logger: false });
    const rules = await service.app.inject({ method: "GET", url: "/v1/admin/alerts", headers: { authorization: `Bearer ${API_KEY}` } });
    expect(rules.json()).toEqual({ rules: [RULE], durable: false, source: "configuration" });
  });

  it("refuses rules that do not hold together and a webhook anyone on the network could read", () => {
    expect(problems({ alerts: { rules: [{ ...RULE, kind: "sms_budget", threshold: 0.5 }] } })).toEqual([
      expect.stringContaining("needs a channel"),
      expect.stringContaining("needs a budget"),
    ]);
    expect(problems({ alerts: { rules: [{ ...RULE, kind: "nope" }] } })).toHaveLength(1);
    expect(
      problems({}, { OTP_ALERTS_WEBHOOK_URL: "http://alerts.example.com/", OTP_ALERTS_WEBHOOK_SECRET: "alerts-secret-0123456789" }),
    ).toEqual([expect.stringMatching(/^OTP_ALERTS_WEBHOOK_URL: must be https/)]);
    expect(problems({}, { OTP_ALERTS_WEBHOOK_URL: "https://alerts.example.com/" })).toEqual([
      expect.stringMatching(/^OTP_ALERTS_WEBHOOK_SECRET: is required/),
    ]);
    // The secret is never echoed in a problem.
    expect(
      problems({}, { OTP_ALERTS_WEBHOOK_URL: "https://alerts.example.com/", OTP_ALERTS_WEBHOOK_SECRET: "short" }).join(" "),
    ).not.toContain("short");
  });
});
