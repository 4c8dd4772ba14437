/**
 * A guard whose counters are down, silent or slow: every send and check is refused with
 * STORE_UNAVAILABLE within the request's bound, never decided by an empty counter of this process,
 * so a lockout holds on a second or a restarted instance while the backend is slow; and a step
 * that reaches the backend after the bound changes nothing.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOtp,
  generateKey,
  memoryCounters,
  postgresCounters,
  redisCounters,
  type CounterStore,
  type GuardOptions,
  type Otp,
} from "../../src/index.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { closedPort, silentServer, type SilentServer } from "../helpers/network.js";
import { startRedisProcess, type RedisProcess } from "../helpers/redis-process.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";
import { email, input, refusal, wrongCode } from "../helpers/guard.js";

const KEYS = generateKey("faults");
const OFF: GuardOptions = {
  resendCooldownSeconds: 0,
  sendsPerIdentifier: false,
  sendsPerIp: false,
  failuresPerIp: false,
  channelBudgets: { email: false },
  prefixVelocity: false,
};
const BOUND_MS = 200;
const IP = { ip: "203.0.113.40" };

/** An engine ("an instance") on a shared ledger and the given counters. */
function instance(store: MemoryStore, counters: CounterStore, options: GuardOptions = {}): Otp {
  return createOtp({
    keys: KEYS,
    store,
    storeTimeoutMs: BOUND_MS,
    guard: { ...OFF, failuresPerIdentifierAndIp: 2, failuresPerIdentifier: 2, ...options, counters },
  });
}

/** Locks email(1) out through `otp` (two wrong guesses), and returns a fresh right code for it. */
async function lockOut(otp: Otp, issuer: Otp): Promise<{ code: string; context: string }> {
  const issued = await issuer.generate(input(email(1)));
  for (let i = 0; i < 2; i++)
    await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: IP }));
  expect((await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: IP }))).limit).toBe(
    "failures_per_identifier",
  );
  return issued;
}

describe("counters that cannot be reached", () => {
  let silent: SilentServer;
  const clients: Redis[] = [];
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    for (const pool of pools) await pool.end();
    await silent.close();
  });
  const redisAt = (port: number): Redis => {
    const client = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: port !== silent.port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => undefined);
    clients.push(client);
    return client;
  };
  const cases: Array<[string, () => Promise<CounterStore>]> = [
    ["redis refusing connections", async () => redisCounters({ client: redisAt(await closedPort()) })],
    ["redis that never answers", async () => redisCounters({ client: redisAt(silent.port) })],
    [
      "postgres refusing connections",
      async () => {
        const pool = new pg.Pool({
          host: "127.0.0.1",
          port: await closedPort(),
          user: "postgres",
          database: "test",
          connectionTimeoutMillis: 100,
        });
        pool.on("error", () => undefined);
        pools.push(pool);
        return postgresCounters({ pool });
      },
    ],
  ];
  it.each(cases)("%s: sends and checks are STORE_UNAVAILABLE within the bound, nothing approved", async (_name, counters) => {
    const otp = instance(new MemoryStore(), await counters());
    const started = Date.now();
    const send = await refusal(otp.generate(input(email(1))));
    expect([send.code, send.status]).toEqual(["STORE_UNAVAILABLE", 503]);
    // A context issued by a healthy instance must not verify through a guard that cannot count.
    const issued = await createOtp({ keys: KEYS, guard: false }).generate(input(email(1)));
    const check = await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: IP }));
    expect([check.code, check.status]).toEqual(["STORE_UNAVAILABLE", 503]);
    expect(Date.now() - started).toBeLessThan(4 * BOUND_MS + 500);
  });
});

describe("a lockout on a paused Redis", () => {
  let redis: RedisProcess;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedisProcess();
    client = new Redis({ host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it("holds on a second and a restarted instance while Redis is paused; the steps it runs late change nothing", async () => {
    const store = new MemoryStore();
    const first = instance(store, redisCounters({ client }));
    const issued = await lockOut(first, first);
    const other = await first.generate(input(email(2)));
    redis.pause();
    try {
      // A wrong guess on an identifier that is not locked: its step would take points, but Redis
      // runs it only after its deadline.
      expect(
        (await refusal(first.verify({ code: wrongCode(other.code), context: other.context, purpose: "login", client: IP }))).code,
      ).toBe("STORE_UNAVAILABLE");
      // Another instance, and one just restarted (new counters, nothing in memory): the right
      // code is refused because the budget cannot be read, never approved.
      for (const otp of [instance(store, redisCounters({ client })), instance(store, redisCounters({ client }))]) {
        for (const ip of [IP, { ip: "198.51.100.9" }]) {
          expect((await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: ip }))).code).toBe(
            "STORE_UNAVAILABLE",
          );
        }
      }
      await sleep(BOUND_MS);
    } finally {
      redis.resume();
    }
    await client.ping();
    const after = instance(store, redisCounters({ client }));
    expect((await refusal(after.verify({ code: issued.code, context: issued.context, purpose: "login", client: IP }))).limit).toBe(
      "failures_per_identifier",
    );
    const keys = (await client.keys("*failures*")).sort();
    const counts = await Promise.all(keys.map((key) => client.get(key)));
    // email(1)'s two failures on the pair and the factor; nothing of email(2)'s late guess, whose
    // code was never compared either: its next right check is its first.
    expect(counts.map((value) => Number(value!.split(":")[0]))).toEqual([2, 2]);
    await expect(after.verify({ code: other.code, context: other.context, purpose: "login", client: IP })).resolves.toMatchObject({
      attempts: 1,
    });
  });
});

describe("a lockout on Postgres while another transaction holds the counters' rows", async () => {
  const available = await requireService("postgres");
  const table = `guard_faults_${randomBytes(4).toString("hex")}`;
  let pool: pg.Pool;
  beforeAll(() => {
    if (available) pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 6 });
  });
  afterAll(async () => {
    if (!available) return;
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it.skipIf(!available)("refuses within the bound and never approves; the lockout stands after the lock is released", async () => {
    const store = new MemoryStore();
    const otp = instance(store, postgresCounters({ pool, tableName: table }));
    const issued = await lockOut(otp, otp);
    const holder = await pool.connect();
    try {
      await holder.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const second = instance(store, postgresCounters({ pool, tableName: table }));
      const started = Date.now();
      const outcome = await refusal(
        second.verify({ code: issued.code, context: issued.context, purpose: "login", client: { ip: "198.51.100.9" } }),
      );
      expect(outcome.code).toBe("STORE_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(BOUND_MS + 400);
      await sleep(BOUND_MS);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    expect((await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: IP }))).limit).toBe(
      "failures_per_identifier",
    );
    const { rows } = await pool.query<{ points: number }>(`SELECT points FROM ${table} WHERE key LIKE 'failures:%' ORDER BY key`);
    expect(rows.map((row) => row.points)).toEqual([2, 2]);
  });
});

describe("counters that fail after the check was decided", () => {
  it("keep the approval and report the failure to onBackendError", async () => {
    const real = memoryCounters();
    let calls = 0;
    // The reservation goes through; the settling step after the approval fails.
    const failing: CounterStore = {
      kind: "memory",
      shared: false,
      apply: (step) => (++calls === 3 ? Promise.reject(new Error("gone")) : real.apply(step)),
    };
    const reported: unknown[] = [];
    const otp = createOtp({ keys: KEYS, guard: { ...OFF, counters: failing, onBackendError: (error) => reported.push(error) } });
    const issued = await otp.generate(input(email(1)));
    await expect(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: IP })).resolves.toMatchObject({
      identifier: email(1),
    });
    expect(reported).toEqual([expect.objectContaining({ code: "STORE_UNAVAILABLE" })]);
  });
});
