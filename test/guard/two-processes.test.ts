/**
 * Two processes sharing one Redis, or one Postgres, share every limit: each runs the same batch at
 * the same moment and the sum of what passed never exceeds the one limit.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/index.js";
import { POSTGRES_URL, REDIS_URL, requireService } from "../helpers/services.js";
import { runBatch, SHARED_LIMITS, type BatchMode, type BatchResult } from "./fixtures/batch.js";
import { KEYS } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/guard-child.ts", import.meta.url));
const TABLE = "guard_test_two_process";
const redisUp = await requireService("redis");
const postgresUp = await requireService("postgres");

async function inBothProcesses(kind: "redis" | "postgres", backend: Backend, mode: BatchMode, count: number, sharedLedger = false): Promise<[BatchResult, BatchResult]> {
  const keyPrefix = `gt2p-${randomBytes(4).toString("hex")}`;
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: {
      ...process.env,
      GUARD_BACKEND: kind,
      GUARD_URL: kind === "redis" ? REDIS_URL : POSTGRES_URL,
      GUARD_PREFIX: keyPrefix,
      GUARD_TABLE: TABLE,
      GUARD_MODE: mode,
      GUARD_COUNT: String(count),
      GUARD_LEDGER: sharedLedger ? "shared" : "",
      OTP_KEYS: KEYS,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe("ready");
  child.stdin!.write("go\n");
  const [mine, theirs] = await Promise.all([
    runBatch({ backend, keys: KEYS, keyPrefix, tableName: TABLE, mode, count, sharedLedger }),
    lines.next().then((line) => JSON.parse(line.value as string) as BatchResult),
  ]);
  child.stdin!.end();
  if (child.exitCode === null) await once(child, "exit");
  return [mine, theirs];
}

function sharedLimitsHold(kind: "redis" | "postgres", backend: () => Backend, sharedLedger = false): void {
  it("sends per identifier: both processes together deliver exactly the limit", async () => {
    const [a, b] = await inBothProcesses(kind, backend(), "sends", 20, sharedLedger);
    expect([...a.unexpected, ...b.unexpected]).toEqual([]);
    expect(a.passed + b.passed).toBe(SHARED_LIMITS.sendsPerIdentifier);
    expect(a.refused + b.refused).toBe(40 - SHARED_LIMITS.sendsPerIdentifier);
  });

  it("failure budget: both processes together evaluate exactly the budget", async () => {
    const [a, b] = await inBothProcesses(kind, backend(), "guesses", 15, sharedLedger);
    expect([...a.unexpected, ...b.unexpected]).toEqual([]);
    expect(a.passed + b.passed).toBe(SHARED_LIMITS.failuresPerIdentifier);
  });

  it("per-IP failure budget: both processes together evaluate exactly the budget", async () => {
    const [a, b] = await inBothProcesses(kind, backend(), "spray", 15, sharedLedger);
    expect([...a.unexpected, ...b.unexpected]).toEqual([]);
    expect(a.passed + b.passed).toBe(SHARED_LIMITS.failuresPerIp);
  });
}

describe.skipIf(!redisUp)("two processes sharing Redis", () => {
  const client = redisUp ? new Redis(REDIS_URL) : undefined;
  afterAll(async () => {
    const keys = await client!.keys("gt2p-*");
    if (keys.length > 0) await client!.del(...keys);
    client!.disconnect();
  });
  sharedLimitsHold("redis", () => ({ kind: "redis", client: client! }));
  describe("with the ledger on the same client (limits inside each check's script)", () => {
    sharedLimitsHold("redis", () => ({ kind: "redis", client: client! }), true);
  });
});

describe.skipIf(!postgresUp)("two processes sharing Postgres", () => {
  const pool = postgresUp ? new pg.Pool({ connectionString: POSTGRES_URL, max: 5 }) : undefined;
  afterAll(async () => {
    await pool!.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await pool!.end();
  });
  sharedLimitsHold("postgres", () => ({ kind: "postgres", pool: pool! }));
});
