/** OTP_CONSOLE_IDLE_TIMEOUT_SECONDS: read, bounded, and handed to the console's sessions by the service. */
import { describe, expect, it } from "vitest";
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
