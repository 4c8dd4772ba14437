/**
 * The service as users run it (guard on by default, on the ledger's own backend) while a store
 * stalls: a paused Redis, a locked Postgres row, a SQLite file another process holds. A check
 * answers 503 within the one bound, changes nothing, and the same right code is approved once the
 * store is back; other routes keep answering meanwhile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOtp, generateKey, type Otp } from "../../src/index.js";
import { postgresStore } from "../../src/stores/postgres.js";
import { redisStore } from "../../src/stores/redis.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { generateKey as key } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { startRedisProcess, type RedisProcess } from "../helpers/redis-process.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";

const BOUND_MS = 1000;
const IP = { ip: "198.51.100.20" };

/** A check with the right code: its outcome and how long it took. */
async function timedCheck(otp: Otp, issued: { code: string; context: string }): Promise<{ outcome: string; ms: number }> {
  const started = Date.now();
  const outcome = await otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: IP }).then(
    () => "approved",
    (error: { code: string }) => error.code,
  );
  return { outcome, ms: Date.now() - started };
}

describe("a paused Redis", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedisProcess();
  });
  afterAll(() => redis.stop());

  it("a check answers 503 within the bound; after the pause the same right code is approved", async () => {
    const store = redisStore({ url: `redis://127.0.0.1:${redis.port}` });
    const otp = createOtp({ keys: generateKey("paused"), store });
    const issued = await otp.generate({ identifier: "ada@example.com", purpose: "login", client: IP });
    redis.pause();
    let during: { outcome: string; ms: number };
    try {
      during = await timedCheck(otp, issued);
    } finally {
      redis.resume();
    }
    expect(during.outcome).toBe("STORE_UNAVAILABLE");
    expect(during.ms).toBeLessThan(BOUND_MS + 150);
    const after = await timedCheck(otp, issued);
    expect(after.outcome).toBe("approved");
    await store.close();
  });
});

describe("a Postgres row held by another transaction", async () => {
  const available = await requireService("postgres");
  const table = `faults_ledger_${Date.now().toString(36)}`;
  let pool: pg.Pool;
  beforeAll(async () => {
    if (!available) return;
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
  });
  afterAll(async () => {
    if (!available) return;
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it.skipIf(!available)("a check answers 503 within the bound; after the lock the same right code is approved", async () => {
    const store = postgresStore({ pool, tableName: table });
    await store.migrate();
    const otp = createOtp({ keys: generateKey("locked"), store });
    const issued = await otp.generate({ identifier: "ada@example.com", purpose: "login", client: IP });
    const holder = await pool.connect();
    let during: { outcome: string; ms: number };
    try {
      await holder.query(`BEGIN; SELECT * FROM ${table} FOR UPDATE`);
      during = await timedCheck(otp, issued);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    expect(during.outcome).toBe("STORE_UNAVAILABLE");
    expect(during.ms).toBeLessThan(BOUND_MS + 150);
    expect((await timedCheck(otp, issued)).outcome).toBe("approved");
  });
});

describe("a SQLite file another process holds", () => {
  const dir = mkdtempSync(join(tmpdir(), "otp-faults-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("other routes answer promptly while checks wait; the checks answer 503 and their codes still verify", async () => {
    const path = join(dir, "otp.db");
    const config = loadConfig({
      PORT: "0",
      OTP_KEYS: key("s1"),
      OTP_API_KEYS: "faults-api-key-0123456789",
      OTP_STORE: `sqlite:${path}`,
      OTP_DATA_DIR: dir,
    });
    const service = await startService(config, { say: () => {}, logger: false, store: sqliteStore({ path }) });
    try {
      const auth = { authorization: "Bearer faults-api-key-0123456789" };
      const issued = await Promise.all(
        [1, 2, 3].map(async (i) => {
          const started = await service.app.inject({
            method: "POST",
            url: "/v1/verifications",
            headers: auth,
            payload: { identifier: `user${i}@example.com`, purpose: "login", client: IP },
          });
          expect(started.statusCode).toBe(201);
          return {
            context: started.json().context as string,
            code: service.outbox!.list().find((message) => message.to === `user${i}@example.com`)!.code,
          };
        }),
      );
      const other = new Database(path);
      other.exec("BEGIN IMMEDIATE");
      let checks: Promise<number[]>;
      let docsMs: number;
      try {
        checks = Promise.all(
          issued.map((item) =>
            service.app
              .inject({ method: "POST", url: "/v1/verifications/check", headers: auth, payload: { ...item, purpose: "login", client: IP } })
              .then((response) => response.statusCode),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = performance.now();
        const docs = await service.app.inject({ method: "GET", url: "/openapi.json" });
        docsMs = performance.now() - started;
        expect(docs.statusCode).toBe(200);
        expect(await checks).toEqual([503, 503, 503]);
      } finally {
        other.exec("ROLLBACK");
        other.close();
      }
      expect(docsMs).toBeLessThan(100);
      for (const item of issued) {
        const again = await service.app.inject({
          method: "POST",
          url: "/v1/verifications/check",
          headers: auth,
          payload: { ...item, purpose: "login", client: IP },
        });
        expect(again.statusCode).toBe(200);
      }
    } finally {
      await service.stop();
    }
  });
});

describe("a start refused 503 for a store outage", async () => {
  const available = await requireService("postgres");
  let schema: FreshSchema | undefined;
  afterAll(async () => {
    await schema?.drop();
  });

  // On Postgres the guard's counters and the ledger are separate statements: the cooldown is
  // taken first, and must be given back when the ledger cannot open the code's entry.
  it.skipIf(!available)("costs no resend cooldown: once the store is back, a start for the same identifier is delivered", async () => {
    schema = await freshSchema("cooldown");
    const config = loadConfig({ PORT: "0", OTP_KEYS: key("c1"), OTP_API_KEYS: "faults-api-key-0123456789", OTP_STORE: schema.url });
    const service = await startService(config, { say: () => {}, logger: false });
    const auth = { authorization: "Bearer faults-api-key-0123456789" };
    const start = () =>
      service.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: auth,
        payload: { identifier: "cooldown@example.com", purpose: "login", client: IP },
      });
    const holder = new pg.Client({ connectionString: schema.url });
    await holder.connect();
    try {
      let refused: Awaited<ReturnType<typeof start>>;
      try {
        await holder.query("BEGIN; LOCK TABLE otp_ledger IN ACCESS EXCLUSIVE MODE");
        refused = await start();
      } finally {
        await holder.query("ROLLBACK");
      }
      expect([refused.statusCode, refused.json().error_code]).toEqual([503, "STORE_UNAVAILABLE"]);
      const after = await start();
      expect(after.statusCode).toBe(201);
      expect(service.outbox!.list().filter((message) => message.to === "cooldown@example.com")).toHaveLength(1);
      // The cooldown is on: a second start right after a delivered one is refused.
      expect((await start()).json()).toMatchObject({ error_code: "RATE_LIMITED", limit: "resend_cooldown" });
    } finally {
      await holder.end();
      await service.stop();
    }
  });
});
