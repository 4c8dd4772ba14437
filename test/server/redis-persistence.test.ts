/**
 * A production start on a Redis whose crash would roll the ledger back (no persistence, or
 * snapshots only) says so and names the fix, and /health/otp reports it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { startRedisProcess, type RedisProcess } from "../helpers/redis-process.js";

describe("a production service on a Redis without durable persistence", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedisProcess();
  });
  afterAll(() => redis.stop());

  it("warns at start, naming the fix, and shows the risk in /health/otp", async () => {
    const lines: string[] = [];
    const config = loadConfig({
      NODE_ENV: "production",
      PORT: "0",
      OTP_KEYS: generateKey("p1"),
      OTP_API_KEYS: "persistence-api-key-0123456789",
      OTP_STORE: `redis://127.0.0.1:${redis.port}`,
    });
    const service = await startService(config, { say: (line) => lines.push(line), logger: false });
    try {
      const warning = lines.find((line) => /appendonly|append-only/i.test(line));
      expect(warning, lines.join("\n")).toMatch(/^warning: /);
      const health = await service.app.inject({ method: "GET", url: "/health/otp" });
      expect(health.json().checks.store.persistence).toMatchObject({ aof: false, risk: expect.any(String) });
    } finally {
      await service.stop();
    }
  });
});
