import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/server/config.js";

const BASE = { OTP_STORE: "memory", OTP_DATA_DIR: "/tmp/otp-webhooks-config" };
const SECRET = "a-long-enough-secret-0123";

function problemsOf(env: Record<string, string>, file?: Record<string, unknown>): Array<{ variable: string; problem: string }> {
  let configFile: string | undefined;
  if (file) {
    configFile = join(mkdtempSync(join(tmpdir(), "otp-webhooks-config-")), "config.json");
    writeFileSync(configFile, JSON.stringify(file));
  }
  try {
    loadConfig({ ...BASE, ...env }, configFile ? { configFile } : {});
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.problems];
  }
}

describe("webhooks configuration", () => {
  it("reads one subscription from the environment and more from the file, masked unless asked", () => {
    const configFile = join(mkdtempSync(join(tmpdir(), "otp-webhooks-config-")), "config.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        webhooks: {
          maxQueued: 500,
          subscriptions: [{ url: "https://crm.example/hooks", secret: SECRET, events: ["verification.approved"], includeIdentifier: true }],
        },
      }),
    );
    const config = loadConfig(
      {
        ...BASE,
        OTP_EVENT_WEBHOOK_URL: "https://fraud.example/otp",
        OTP_EVENT_WEBHOOK_SECRET: SECRET,
        OTP_EVENT_WEBHOOK_EVENTS: "verification.*,factor.*",
      },
      { configFile },
    );
    expect(
      config.webhooks.subscriptions.map(({ url, events, includeIdentifier }) => ({ url: url.href, events, includeIdentifier })),
    ).toEqual([
      { url: "https://crm.example/hooks", events: ["verification.approved"], includeIdentifier: true },
      { url: "https://fraud.example/otp", events: ["verification.*", "factor.*"], includeIdentifier: false },
    ]);
    expect(config.webhooks).toMatchObject({ maxQueued: 500, concurrency: 8, maxAttempts: 10, timeoutMs: 5000 });
    expect(config.webhooks.spoolFile).toBe(join("/tmp/otp-webhooks-config", "webhook-spool.json"));
  });

  it("has no subscription unless one is configured", () => {
    expect(loadConfig(BASE).webhooks.subscriptions).toEqual([]);
  });

  it("refuses unknown event types, plain http off loopback, short secrets and a URL used twice, never echoing a secret", () => {
    const problems = problemsOf(
      {
        OTP_EVENT_WEBHOOK_URL: "http://hooks.example/otp",
        OTP_EVENT_WEBHOOK_SECRET: "short-secret",
        OTP_EVENT_WEBHOOK_EVENTS: "verification.done",
      },
      {
        webhooks: {
          subscriptions: [
            { url: "https://a.example/hooks", secret: SECRET, events: ["*"] },
            { url: "https://a.example/hooks", secret: SECRET, events: ["factor.enrolled"] },
          ],
        },
      },
    );
    const byName = Object.fromEntries(problems.map(({ variable, problem }) => [variable, problem]));
    expect(byName.OTP_EVENT_WEBHOOK_EVENTS).toMatch(/must list event types/);
    expect(byName.OTP_EVENT_WEBHOOK_URL).toMatch(/must be https/);
    expect(byName.OTP_EVENT_WEBHOOK_SECRET).toMatch(/at least 16 characters/);
    expect(byName["webhooks.subscriptions.1.url"]).toMatch(/another subscription/);
    expect(JSON.stringify(problems)).not.toContain("short-secret");
  });

  it("needs a secret and events for a URL", () => {
    const problems = problemsOf({ OTP_EVENT_WEBHOOK_URL: "https://hooks.example/otp" });
    expect(problems.map(({ variable }) => variable).sort()).toEqual(["OTP_EVENT_WEBHOOK_EVENTS", "OTP_EVENT_WEBHOOK_SECRET"]);
  });
});
