/**
 * OTP_CONSOLE_IDLE_TIMEOUT_SECONDS and OTP_CONSOLE_LIFETIME_SECONDS: read, bounded, and handed to
 * the console's sessions by the service.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateKey } from "../../../src/core/keyring.js";
import { ConfigError, loadConfig } from "../../../src/server/config.js";
import { startService } from "../../../src/server/service.js";

const BASE = { OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("cc1"), OTP_API_KEYS: "console-config-admin-key-01 admin" };

describe("the console's idle timeout setting", () => {
  it("defaults to 900 s and takes OTP_CONSOLE_IDLE_TIMEOUT_SECONDS within 60-86,400", () => {
    expect(loadConfig(BASE).consoleIdleTimeoutSeconds).toBe(900);
    expect(loadConfig({ ...BASE, OTP_CONSOLE_IDLE_TIMEOUT_SECONDS: "120" }).consoleIdleTimeoutSeconds).toBe(120);
    for (const bad of ["30", "86401", "ten"])
      expect(() => loadConfig({ ...BASE, OTP_CONSOLE_IDLE_TIMEOUT_SECONDS: bad })).toThrow(ConfigError);
  });

  it("is the timeout the service's console sessions have", async () => {
    const service = await startService(loadConfig({ ...BASE, OTP_CONSOLE_IDLE_TIMEOUT_SECONDS: "120" }), { say: () => {}, logger: false });
    try {
      const response = await fetch(`${service.url}/admin/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiKey: "console-config-admin-key-01" }),
      });
      expect(response.status).toBe(201);
      expect(((await response.json()) as { idleTimeoutSeconds: number }).idleTimeoutSeconds).toBe(120);
    } finally {
      await service.stop();
    }
  });
});

describe("the console's session lifetime setting", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("defaults to 43,200 s (12 hours) and takes OTP_CONSOLE_LIFETIME_SECONDS within 300-604,800", () => {
    expect(loadConfig(BASE).consoleLifetimeSeconds).toBe(43_200);
    expect(loadConfig({ ...BASE, OTP_CONSOLE_LIFETIME_SECONDS: "3600" }).consoleLifetimeSeconds).toBe(3600);
    for (const bad of ["299", "604801", "a day"])
      expect(() => loadConfig({ ...BASE, OTP_CONSOLE_LIFETIME_SECONDS: bad })).toThrow(ConfigError);
  });

  it("is the lifetime the service's console sessions have", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const service = await startService(loadConfig({ ...BASE, OTP_CONSOLE_LIFETIME_SECONDS: "300" }), { say: () => {}, logger: false });
    try {
      const signedIn = await fetch(`${service.url}/admin/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiKey: "console-config-admin-key-01" }),
      });
      expect(signedIn.status).toBe(201);
      const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
      vi.advanceTimersByTime(299_000);
      expect((await fetch(`${service.url}/admin/session`, { headers: { cookie } })).status).toBe(200);
      vi.advanceTimersByTime(1000);
      expect((await fetch(`${service.url}/admin/session`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await service.stop();
    }
  });
});
