/**
 * Several instances on one store: each alert change reaches the webhook once, whichever instance
 * sees it first, on the memory, SQLite and Postgres stores; a store that does not answer posts
 * nothing, and the change goes out once when it is back; a store without marks posts per instance.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { verifyWebhookSignature } from "../../src/channels/webhook-signature.js";
import type { LedgerStore } from "../../src/contracts/ledger.js";
import { generateKey } from "../../src/core/keyring.js";
import { generationKey } from "../../src/server/alerts/alert-generations.js";
import { Alerter } from "../../src/server/alerts/alerter.js";
import type { AlertRule } from "../../src/server/alerts/rules.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService, type ServiceHooks } from "../../src/server/service.js";
import { memoryStore } from "../../src/stores/memory.js";
import { postgresStore } from "../../src/stores/postgres.js";
import { redisStore } from "../../src/stores/redis.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { auditRecord } from "../helpers/audit-records.js";
import { freshSchema } from "../helpers/postgres-schema.js";
import { startRedisProcess } from "../helpers/redis-process.js";
import { requireService } from "../helpers/services.js";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver.js";

const SECRET = "alert-secret-0123456789";
const T0 = Date.UTC(2026, 0, 1, 12);
const RULE: AlertRule = { name: "failed-spike", kind: "failed_checks", windowSeconds: 300, threshold: 5 };
const HASHED = generationKey(RULE).slice("alert:".length);

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.received.length = 0;
});

interface Posted {
  type: string;
  at: string;
  alert: { name: string; value: number };
  generation?: number;
  id?: string;
}

/** A store of one's own written before marks: the ledger's primitives without `advance`. */
function withoutMarks(inner: LedgerStore): LedgerStore {
  return {
    kind: "custom",
    open: (...args) => inner.open(...args),
    record: (...args) => inner.record(...args),
    revoke: (...args) => inner.revoke(...args),
    inspect: (...args) => inner.inspect(...args),
    health: () => inner.health(),
    close: () => inner.close(),
  };
}

const posts = (): Posted[] => receiver.received.map((request) => JSON.parse(request.body) as Posted);

/** Three instances: one audit log, one clock, each with its own store handle (or the one memory store). */
function instances(stores: LedgerStore[], clock: { now: number }, errors: string[] = []) {
  const log = memoryAuditLog();
  const alerters = stores.map(
    (store) =>
      new Alerter({
        log,
        now: () => clock.now,
        rules: [RULE],
        webhook: { url: receiver.url, secrets: [SECRET] },
        retryDelayMs: 10,
        store,
        storeTimeoutMs: 300,
        onError: (_error, what) => errors.push(what),
      }),
  );
  const failed = (count: number, atMs: number) =>
    log.append(Array.from({ length: count }, () => auditRecord({ action: "failed", status: "INVALID_OTP", at: new Date(atMs) })));
  const together = () => Promise.all(alerters.map((alerter) => alerter.evaluate()));
  const inTurn = async () => {
    for (const alerter of alerters) await alerter.evaluate();
  };
  return { alerters, failed, together, inTurn };
}

/** A spike, its end, and a second spike, seen by three instances at once and in turn. */
async function postsEachChangeOnce(stores: LedgerStore[]): Promise<void> {
  const clock = { now: T0 };
  const { alerters, failed, together, inTurn } = instances(stores, clock);
  for (const alerter of alerters) expect(alerter.shared).toBe(true);

  await failed(6, T0 - 1000);
  await together();
  await inTurn();
  expect(posts().map((post) => [post.type, post.generation, post.id])).toEqual([["alert.firing", 1, `${HASHED}:1`]]);
  const firing = receiver.received[0]!;
  expect(verifyWebhookSignature(SECRET, firing.headers["x-otp-signature"] as string, firing.body)).toBe(true);
  expect(posts()[0]).toMatchObject({ at: new Date(T0).toISOString(), alert: { name: "failed-spike", value: 6, rule: RULE } });
  // Every instance lists it, whichever posted it.
  for (const alerter of alerters) expect(alerter.firing().map((alert) => [alert.name, alert.value])).toEqual([["failed-spike", 6]]);

  // The spike leaves the window: resolved once.
  clock.now = T0 + 300_000;
  await together();
  await inTurn();
  expect(posts().map((post) => [post.type, post.id])).toEqual([
    ["alert.firing", `${HASHED}:1`],
    ["alert.resolved", `${HASHED}:2`],
  ]);
  for (const alerter of alerters) expect(alerter.firing()).toEqual([]);

  // A second spike later: posted once, as the next generation, by whichever instance sees it first.
  clock.now = T0 + 600_000;
  await failed(7, clock.now - 1000);
  await inTurn();
  await together();
  expect(posts().map((post) => [post.type, post.id])).toEqual([
    ["alert.firing", `${HASHED}:1`],
    ["alert.resolved", `${HASHED}:2`],
    ["alert.firing", `${HASHED}:3`],
  ]);
  expect(posts()[2]).toMatchObject({ generation: 3, alert: { value: 7 } });
  for (const alerter of alerters) expect(alerter.firing()).toHaveLength(1);
}

describe("three instances sharing one store", () => {
  it("memory (one store object): each change is posted once, also when they evaluate at the same time", async () => {
    const store = memoryStore();
    await postsEachChangeOnce([store, store, store]);
  });

  it("SQLite (one file, a connection each): each change is posted once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-alerts-shared-"));
    const stores = [0, 1, 2].map(() => sqliteStore({ path: join(dir, "otp.db") }));
    try {
      await stores[0]!.migrate();
      await postsEachChangeOnce(stores);
    } finally {
      for (const store of stores) await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Postgres (a pool each): each change is posted once", async (context) => {
    if (!(await requireService("postgres"))) return context.skip();
    const schema = await freshSchema("alerts_shared");
    const stores = [0, 1, 2].map(() => postgresStore({ connectionString: schema.url }));
    try {
      await stores[0]!.migrate();
      await postsEachChangeOnce(stores);
    } finally {
      for (const store of stores) await store.close();
      await schema.drop();
    }
  });

  it("a changed rule is a new alert: it does not inherit the firing of the rule it replaces", async () => {
    const store = memoryStore();
    const clock = { now: T0 };
    const { alerters, failed, together } = instances([store, store, store], clock);
    await failed(6, T0 - 1000);
    await together();
    const changed = { ...RULE, threshold: 4 };
    for (const alerter of alerters) alerter.setRules([changed]);
    await together();
    expect(posts().map((post) => [post.type, post.id])).toEqual([
      ["alert.firing", `${HASHED}:1`],
      ["alert.firing", `${generationKey(changed).slice("alert:".length)}:1`],
    ]);
    expect(generationKey(changed)).not.toBe(generationKey(RULE));
  });
});

describe("a store that does not answer", () => {
  it("posts nothing and tells onError; once the store is back the change is posted once", async (context) => {
    if (!(await requireService("redis"))) return context.skip();
    const redis = await startRedisProcess();
    const stores = [0, 1, 2].map(() => redisStore({ url: `redis://127.0.0.1:${redis.port}`, timeoutMs: 300 }));
    const errors: string[] = [];
    const clock = { now: T0 };
    const { alerters, failed, together, inTurn } = instances(stores, clock, errors);
    let stopped = false;
    try {
      await failed(6, T0 - 1000);
      await redis.stop();
      stopped = true;
      await together();
      await inTurn();
      expect(posts()).toEqual([]);
      expect(errors.length).toBeGreaterThanOrEqual(3);
      expect(new Set(errors)).toEqual(new Set(["alert rule 'failed-spike' (shared state)"]));
      for (const alerter of alerters) expect(alerter.firing()).toEqual([]);

      // Back (empty, as a restarted Redis without persistence): the firing goes out once.
      const back = await startRedisProcess(redis.port);
      try {
        const deadline = Date.now() + 10_000;
        while (posts().length === 0 && Date.now() < deadline) {
          await together();
          if (posts().length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await together();
        await inTurn();
        expect(posts().map((post) => [post.type, post.id])).toEqual([["alert.firing", `${HASHED}:1`]]);
        for (const alerter of alerters) expect(alerter.firing()).toHaveLength(1);
      } finally {
        await back.stop();
      }
    } finally {
      for (const store of stores) await store.close().catch(() => undefined);
      // (A stopped process must not be stopped again: its exit was already seen.)
      if (!stopped) await redis.stop();
    }
  }, 30_000);
});

describe("a claim the store takes too long over", () => {
  it("changed nothing: no post then, and the next claim posts the change once", async (context) => {
    if (!(await requireService("redis"))) return context.skip();
    const redis = await startRedisProcess();
    const stores = [0, 1, 2].map(() => redisStore({ url: `redis://127.0.0.1:${redis.port}`, timeoutMs: 300 }));
    const first = stores[0]!;
    // The first instance's first claim (an odd generation) reaches a server that stops answering
    // until well past the call's deadline, then runs it.
    let stall = true;
    const stalling: LedgerStore = {
      ...withoutMarks(first),
      kind: "redis",
      advance: async (key, value, ttlMs, options) => {
        if (!stall || value % 2 === 0) return first.advance!(key, value, ttlMs, options);
        stall = false;
        redis.pause();
        setTimeout(() => redis.resume(), 700);
        return first.advance!(key, value, ttlMs, options);
      },
    };
    const errors: string[] = [];
    const { alerters, failed } = instances([stalling, stores[1]!, stores[2]!], { now: T0 }, errors);
    try {
      await failed(6, T0 - 1000);
      await alerters[0]!.evaluate();
      expect(errors).toEqual(["alert rule 'failed-spike' (shared state)"]);
      expect(alerters[0]!.firing()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // The server ran the claim after its deadline: it refused it, the generation is still 0.
      expect(await stores[1]!.advance!(generationKey(RULE), 0, 60_000)).toEqual({ advanced: false, value: 0 });
      expect(posts()).toEqual([]);

      await alerters[1]!.evaluate();
      await alerters[0]!.evaluate();
      await alerters[2]!.evaluate();
      expect(posts().map((post) => [post.type, post.id])).toEqual([["alert.firing", `${HASHED}:1`]]);
      for (const alerter of alerters) expect(alerter.firing()).toHaveLength(1);
    } finally {
      redis.resume();
      for (const store of stores) await store.close().catch(() => undefined);
      await redis.stop();
    }
  }, 20_000);
});

describe("a store without marks", () => {
  it("keeps each instance's own alerts: every instance posts its change, without a generation", async () => {
    const noMarks = withoutMarks(memoryStore());
    const { alerters, failed, together } = instances([noMarks, noMarks, noMarks], { now: T0 });
    for (const alerter of alerters) expect(alerter.shared).toBe(false);
    await failed(6, T0 - 1000);
    await together();
    expect(posts().map((post) => [post.type, post.id])).toEqual([
      ["alert.firing", undefined],
      ["alert.firing", undefined],
      ["alert.firing", undefined],
    ]);
  });
});

describe("three services on one store", () => {
  const dir = mkdtempSync(join(tmpdir(), "otp-alerts-services-"));
  const running: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(running.map((service) => service.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const keys = generateKey("as");

  /** A development service with the rule and the webhook, on `env`'s store and the one audit log given. */
  async function start(env: Record<string, string>, hooks: ServiceHooks, lines: string[] = []): Promise<RunningService> {
    const configFile = join(mkdtempSync(join(dir, "config-")), "otp-actions.json");
    writeFileSync(configFile, JSON.stringify({ alerts: { rules: [RULE], webhookUrl: receiver.url, webhookSecret: SECRET } }));
    const config = loadConfig({ HOST: "127.0.0.1", PORT: "0", OTP_KEYS: keys, ...env }, { configFile });
    const service = await startService(config, { say: (line) => lines.push(line), logger: false, ...hooks });
    running.push(service);
    return service;
  }

  it("SQLite file: a spike is posted once whichever service sees it; no warning", async () => {
    const auditLog = memoryAuditLog();
    const env = { OTP_STORE: `sqlite:${join(dir, "otp.db")}` };
    const lines: string[] = [];
    const services = [await start(env, { auditLog }, lines), await start(env, { auditLog }), await start(env, { auditLog })];
    await auditLog.append(
      Array.from({ length: 6 }, () => auditRecord({ action: "failed", status: "INVALID_OTP", at: new Date(Date.now() - 1000) })),
    );
    await Promise.all(services.map((service) => service.alerter.evaluate()));
    for (const service of services) await service.alerter.evaluate();
    expect(posts().map((post) => [post.type, post.id])).toEqual([["alert.firing", `${HASHED}:1`]]);
    for (const service of services) expect(service.alerter.firing().map((alert) => alert.name)).toEqual(["failed-spike"]);
    expect(lines.filter((line) => line.includes("keeps no marks"))).toEqual([]);
  });

  it("a store without marks: each service posts its own change, and a start says so once", async () => {
    const store = withoutMarks(memoryStore());
    const lines: string[] = [];
    const service = await start({}, { store, auditLog: memoryAuditLog() }, lines);
    expect(service.alerter.shared).toBe(false);
    const warned = lines.filter((line) => line.includes("keeps no marks"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^warning: the custom store keeps no marks \(advance\): each instance keeps its own alerts/);
  });
});
