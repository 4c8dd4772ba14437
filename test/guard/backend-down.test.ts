/**
 * A backend that is down or silent: with insurance (the default) the limits carry on in memory;
 * without it every guarded call is STORE_UNAVAILABLE (503), never a crash and never an approval.
 */
import net from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuard, type Backend, type GuardOptions } from "../../src/index.js";
import { email, harness, input, refusal } from "./helpers.js";

const OFF: GuardOptions = { resendCooldownSeconds: 0, sendsPerIp: false, failuresPerIp: false, channelBudgets: { email: false }, prefixVelocity: false };

let silent: net.Server;
let silentPort = 0;
const sockets = new Set<net.Socket>();
let redisDown: Redis;
let redisSilent: Redis;
let poolDown: pg.Pool;

beforeAll(async () => {
  // Accepts connections and never answers: every call must be cut short by the guard's timeout.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
  // Port 1 on loopback: nothing listens, connections are refused at once.
  redisDown = new Redis({ host: "127.0.0.1", port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redisDown.on("error", () => {});
  redisSilent = new Redis({ host: "127.0.0.1", port: silentPort, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redisSilent.on("error", () => {});
  poolDown = new pg.Pool({ host: "127.0.0.1", port: 1, user: "postgres", database: "test", connectionTimeoutMillis: 200 });
  poolDown.on("error", () => {});
});

afterAll(async () => {
  redisDown.disconnect();
  redisSilent.disconnect();
  await poolDown.end();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const backends: Array<[string, () => Backend]> = [
  ["redis refusing connections", () => ({ kind: "redis", client: redisDown })],
  ["redis that never answers", () => ({ kind: "redis", client: redisSilent })],
  ["postgres refusing connections", () => ({ kind: "postgres", pool: poolDown })],
];

describe.each(backends)("guard with %s", (_name, backend) => {
  it("with insurance (the default) the limits still hold, counted in memory", async () => {
    const { otp } = harness({ guard: createGuard({ ...OFF, backend: backend(), timeoutMs: 100, sendsPerIdentifier: { max: 2, windowSeconds: 60 }, failuresPerIdentifier: 2 }) });
    await otp.generate(input(email(1)));
    const issued = await otp.generate(input(email(1)));
    expect((await refusal(otp.generate(input(email(1))))).limit).toBe("sends_per_identifier");
    await refusal(otp.verify({ code: "000000" === issued.code ? "111111" : "000000", context: issued.context, purpose: "login" }));
    await expect(otp.verify({ code: issued.code, context: issued.context, purpose: "login" })).resolves.toBeTruthy();
  });

  it("without insurance, sends and checks are STORE_UNAVAILABLE and nothing is approved", async () => {
    const { otp, of } = harness({ guard: createGuard({ ...OFF, backend: backend(), timeoutMs: 100, insurance: false }) });
    const send = await refusal(otp.generate(input(email(1))));
    expect([send.code, send.status]).toEqual(["STORE_UNAVAILABLE", 503]);
    // A context issued elsewhere (same keys) must not verify through a guard that cannot count.
    const issuer = harness({});
    const issued = await issuer.otp.generate(input(email(1)));
    const check = await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login" }));
    expect([check.code, check.status]).toEqual(["STORE_UNAVAILABLE", 503]);
    expect(of("succeeded")).toHaveLength(0);
  });
});

describe("a backend that fails after the check was decided", () => {
  it("keeps the approval and reports the failure to onBackendError", async () => {
    const { REDIS_URL, requireService } = await import("../helpers/services.js");
    if (!(await requireService("redis"))) return;
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    await new Promise((resolve) => client.once("ready", resolve));
    const reported: unknown[] = [];
    const guard = createGuard({ ...OFF, backend: { kind: "redis", client }, keyPrefix: `guardtest-late-${process.pid}`, insurance: false, timeoutMs: 200, onBackendError: (error) => reported.push(error) });
    const { otp } = harness({ guard });
    const issued = await otp.generate(input(email(1)));
    // The code has been compared and the ledger updated; Redis goes away before the guard's release.
    otp.on("validation_attempt", () => client.disconnect());
    await expect(otp.verify({ code: issued.code, context: issued.context, purpose: "login" })).resolves.toMatchObject({ identifier: email(1) });
    await guard.close();
    expect(reported.length).toBeGreaterThan(0);
  });
});
