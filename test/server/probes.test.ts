/**
 * /health/live and /health/ready: the answers orchestrators act on. Live is the process; ready is
 * the store and the audit log, never a channel (a provider's outage must not unroute healthy
 * instances); both say no once shutdown begins.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { buildServer } from "../../src/server/app.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { API_KEY } from "../helpers/server.js";

const KEYS = generateKey("p1");

/** A channel whose provider is down. */
const downChannel: Channel = {
  name: "email",
  accepts: "email",
  async deliver() {},
  async health() {
    throw new Error("smtp login failed at smtp://user:hunter2@mail.internal:587");
  },
};

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

async function probeServer(options: { store?: MemoryStore; channels?: Channel[]; stopping?: () => boolean } = {}) {
  const otp = createOtp({ keys: KEYS, channels: options.channels ?? [downChannel], ...(options.store && { store: options.store }) });
  const app = await buildServer({
    otp,
    apiKeys: [API_KEY],
    auditLog: memoryAuditLog(),
    ...(options.stopping && { stopping: options.stopping }),
  });
  apps.push(app);
  return app;
}

describe("/health/live", () => {
  it("answers 200 in /health/otp's shape, not cached", async () => {
    const app = await probeServer();
    const response = await app.inject({ method: "GET", url: "/health/live" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.json()).toEqual({ status: "ok", checkedAt: expect.any(String), checks: { process: { ok: true } } });
  });
});

describe("/health/ready", () => {
  it("is ready with the store and the audit log answering, while a channel's provider is down (which /health/otp reports)", async () => {
    const app = await probeServer();
    const response = await app.inject({ method: "GET", url: "/health/ready" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.json()).toEqual({
      status: "ok",
      checkedAt: expect.any(String),
      checks: { store: { ok: true, kind: "memory" }, audit: { ok: true }, channel: { ok: true, required: false, channels: ["email"] } },
    });
    expect(response.body).not.toContain("hunter2");
    expect(response.body).not.toContain(API_KEY);
    expect((await app.inject({ method: "GET", url: "/health/otp" })).statusCode).toBe(503);
  });

  it("is not ready while the store does not answer, with a stable code and never the driver's message", async () => {
    const store = new MemoryStore();
    store.health = async () => {
      throw new Error("connect ECONNREFUSED 10.1.2.3:6379");
    };
    const app = await probeServer({ store });
    const response = await app.inject({ method: "GET", url: "/health/ready" });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: "fail", checks: { store: { ok: false, kind: "memory", error: "STORE_UNAVAILABLE" } } });
    expect(response.body).not.toContain("10.1.2.3");
  });

  it("reports no channel without failing on it", async () => {
    const app = await probeServer({ channels: [] });
    const response = await app.inject({ method: "GET", url: "/health/ready" });
    expect(response.statusCode).toBe(200);
    expect(response.json().checks.channel).toEqual({ ok: false, required: false, channels: [], error: "NO_CHANNEL" });
  });
});

describe("while shutting down", () => {
  it("both probes answer 503 with SHUTTING_DOWN", async () => {
    let stopping = false;
    const app = await probeServer({ stopping: () => stopping });
    expect((await app.inject({ method: "GET", url: "/health/ready" })).statusCode).toBe(200);
    stopping = true;
    for (const url of ["/health/live", "/health/ready"]) {
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        status: "fail",
        checkedAt: expect.any(String),
        checks: { process: { ok: false, error: "SHUTTING_DOWN" } },
      });
    }
  });

  it("the service is not ready once stop() begins", async () => {
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: KEYS, OTP_API_KEYS: API_KEY });
    let release!: () => void;
    let delivering!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (delivering = resolve));
    const slow: Channel = {
      name: "email",
      accepts: "email",
      deliver: () => {
        delivering();
        return held;
      },
    };
    const service = await startService(config, { say: () => {}, channels: [slow], logger: false });
    const inFlight = fetch(`${service.url}/v1/verifications`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ identifier: "held@example.com", purpose: "login" }),
    });
    await started;
    expect((await service.app.inject({ method: "GET", url: "/health/ready" })).statusCode).toBe(200);
    const stopped = service.stop();
    expect((await service.app.inject({ method: "GET", url: "/health/ready" })).statusCode).toBe(503);
    release();
    expect((await inFlight).status).toBe(201);
    await stopped;
  });
});
