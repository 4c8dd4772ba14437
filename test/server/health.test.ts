import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { buildServer } from "../../src/server/app.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { API_KEY } from "../helpers/server.js";

/**
 * The reuse window. The checks measure it with performance.now(), which these tests fake (and
 * move by hand): a slow machine then cannot stretch a burst past the window, nor a wait fall
 * short of it.
 */
const REUSE_MS = 60;

/** A channel whose health check counts its calls and takes a moment, as a real login does. */
function countingChannel(): Channel & { healthCalls: number } {
  const channel = {
    name: "email",
    accepts: "email" as const,
    healthCalls: 0,
    async deliver(): Promise<void> {},
    async health(): Promise<void> {
      channel.healthCalls += 1;
      await sleep(10);
    },
  };
  return channel;
}

/** What the Redis store reports when its server refuses the connection: an internal address. */
const DRIVER_MESSAGE = "connect ECONNREFUSED 10.1.2.3:6379";

/** Makes every operation of the store fail as a driver would, until `heal()` is called. */
function breakStore(store: MemoryStore): { healthCalls: () => number; heal(): void } {
  const original = { health: store.health, open: store.open };
  let calls = 0;
  const refuse = async (): Promise<never> => {
    throw new Error(DRIVER_MESSAGE);
  };
  store.health = async () => {
    calls += 1;
    return refuse();
  };
  store.open = refuse;
  return {
    healthCalls: () => calls,
    heal() {
      store.health = async () => {
        calls += 1;
        return original.health.call(store);
      };
      store.open = original.open;
    },
  };
}

let apps: FastifyInstance[] = [];
beforeEach(() => {
  // Only the monotonic clock: timers, and the checks' own timeouts, run as usual.
  vi.useFakeTimers({ toFake: ["performance"] });
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

/** Moves the checks' clock past the reuse window. */
function passTheWindow(): void {
  vi.advanceTimersByTime(REUSE_MS + 1);
}

async function healthServer(
  options: { channel?: Channel; store?: MemoryStore } = {},
): Promise<{ app: FastifyInstance; logLines: string[] }> {
  const logLines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  const otp = createOtp({
    keys: generateKey("h1"),
    channels: [options.channel ?? countingChannel()],
    ...(options.store && { store: options.store }),
  });
  const app = await buildServer({ otp, apiKeys: [API_KEY], logger: { level: "warn", stream }, healthReuseMs: REUSE_MS });
  apps.push(app);
  return { app, logLines };
}

function getHealth(app: FastifyInstance) {
  return app.inject({ method: "GET", url: "/health/otp" });
}

describe("/health/otp under load", () => {
  it("runs the checks once for concurrent requests, reuses the result briefly, then runs them again", async () => {
    const channel = countingChannel();
    const { app } = await healthServer({ channel });
    const burst = await Promise.all(Array.from({ length: 20 }, () => getHealth(app)));
    expect(burst.map((response) => response.statusCode)).toEqual(Array(20).fill(200));
    expect(channel.healthCalls).toBe(1);
    // Every answer of the burst reports the one round trip that ran.
    const latencies = new Set(burst.map((response) => response.json().checks.roundTrip.latencyMs));
    expect(latencies.size).toBe(1);

    // Within the window (its last millisecond): reused.
    vi.advanceTimersByTime(REUSE_MS - 1);
    expect((await getHealth(app)).statusCode).toBe(200);
    expect(channel.healthCalls).toBe(1);

    passTheWindow();
    expect((await getHealth(app)).statusCode).toBe(200);
    expect(channel.healthCalls).toBe(2);
  });
});

describe("/health/otp failures", () => {
  it("answers 503 with a stable code, never the driver's message, and logs the message for operators", async () => {
    const store = new MemoryStore();
    breakStore(store);
    const { app, logLines } = await healthServer({ store });
    const response = await getHealth(app);
    expect(response.statusCode).toBe(503);
    const body = response.json();
    expect(body.status).toBe("fail");
    expect(body.checks.store).toEqual({ ok: false, kind: "memory", error: "STORE_UNAVAILABLE" });
    expect(body.checks.roundTrip).toMatchObject({ ok: false, error: "STORE_UNAVAILABLE" });
    for (const part of ["ECONNREFUSED", "10.1.2.3", "6379", "connect"]) expect(response.body).not.toContain(part);

    const warnings = logLines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
    expect(warnings.some((line) => JSON.stringify(line).includes(DRIVER_MESSAGE))).toBe(true);
  });

  it("coalesces requests while the store is down, and shows the recovery once the window has passed", async () => {
    const store = new MemoryStore();
    const broken = breakStore(store);
    const { app } = await healthServer({ store });
    const burst = await Promise.all(Array.from({ length: 5 }, () => getHealth(app)));
    expect(burst.map((response) => response.statusCode)).toEqual(Array(5).fill(503));
    expect(broken.healthCalls()).toBe(1);

    broken.heal();
    passTheWindow();
    const recovered = await getHealth(app);
    expect(recovered.statusCode).toBe(200);
    expect(recovered.json().checks.store).toEqual({ ok: true, kind: "memory" });
    expect(broken.healthCalls()).toBe(2);
  });

  it("fails the channel check with a code when no channel is configured", async () => {
    const app = await buildServer({ otp: createOtp({ keys: generateKey("h2") }), apiKeys: [API_KEY], healthReuseMs: REUSE_MS });
    apps.push(app);
    const response = await getHealth(app);
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.channel).toEqual({ ok: false, channels: [], error: "NO_CHANNEL" });
  });

  it("logs a channel's failure without the credentials of a URL it mentions", async () => {
    const failing: Channel = {
      name: "email",
      accepts: "email",
      async deliver() {},
      async health() {
        throw new Error("cannot reach smtp://mailer:s3cret-pass@mail.internal:587", { cause: new Error("connect ETIMEDOUT 10.9.8.7:587") });
      },
    };
    const { app, logLines } = await healthServer({ channel: failing });
    const response = await getHealth(app);
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.channel).toEqual({ ok: false, channels: ["email"], failing: ["email"], error: "DELIVERY_FAILED" });
    expect(response.body).not.toContain("mail.internal");
    const log = logLines.join("");
    expect(log).toContain("mail.internal:587");
    expect(log).toContain("10.9.8.7:587");
    expect(log).not.toContain("s3cret-pass");
  });
});
