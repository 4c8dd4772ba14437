/**
 * Two processes sharing one Redis, one Postgres or one SQLite file share every limit: each runs
 * the same batch at the same moment, on its own connection, and the sum of what passed never
 * exceeds the one limit.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_URL, REDIS_URL, requireService } from "../helpers/services.js";
import { runBatch, SHARED_LIMITS, type BatchBackend, type BatchMode, type BatchResult } from "../helpers/fixtures/guard-batch.js";
import { KEYS } from "../helpers/guard.js";

const CHILD = fileURLToPath(new URL("../helpers/fixtures/guard-child.ts", import.meta.url));
const redisUp = await requireService("redis");
const postgresUp = await requireService("postgres");
const directory = mkdtempSync(join(tmpdir(), "otp-guard-2p-"));
const tables: string[] = [];

afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  if (redisUp) {
    const client = new Redis(REDIS_URL);
    const keys = await client.keys("gt2p-*");
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
  if (postgresUp) {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  }
});

async function inBothProcesses(backend: BatchBackend, mode: BatchMode, count: number): Promise<[BatchResult, BatchResult]> {
  const unique = randomBytes(4).toString("hex");
  const location = backend === "redis" ? REDIS_URL : backend === "postgres" ? POSTGRES_URL : join(directory, `${unique}.db`);
  // The file made, in WAL mode, before either process opens it: two first openings at once race
  // to switch the journal, and the loser's open fails busy.
  if (backend === "sqlite") {
    const file = new Database(location);
    file.pragma("journal_mode = WAL");
    file.close();
  }
  const scope = backend === "redis" ? `gt2p-${unique}:` : `gt2p_${unique}`;
  if (backend === "postgres") tables.push(scope);
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: {
      ...process.env,
      GUARD_BACKEND: backend,
      GUARD_LOCATION: location,
      GUARD_SCOPE: scope,
      GUARD_MODE: mode,
      GUARD_COUNT: String(count),
      OTP_KEYS: KEYS,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe("ready");
  child.stdin!.write("go\n");
  const [mine, theirs] = await Promise.all([
    runBatch({ backend, location, scope, keys: KEYS, mode, count }),
    lines.next().then((line) => JSON.parse(line.value as string) as BatchResult),
  ]);
  child.stdin!.end();
  if (child.exitCode === null) await once(child, "exit");
  return [mine, theirs];
}

function sharedLimitsHold(backend: BatchBackend): void {
  it("sends per identifier: both processes together deliver exactly the limit", async () => {
    const [a, b] = await inBothProcesses(backend, "sends", 20);
    expect([...a.unexpected, ...b.unexpected]).toEqual([]);
    expect(a.passed + b.passed).toBe(SHARED_LIMITS.sendsPerIdentifier);
    expect(a.refused + b.refused).toBe(40 - SHARED_LIMITS.sendsPerIdentifier);
  });

  it("1,000 wrong guesses split over both processes: exactly the failure budget is evaluated", async () => {
    const [a, b] = await inBothProcesses(backend, "guesses", 500);
    expect([...a.unexpected, ...b.unexpected]).toEqual([]);
    expect(a.passed + b.passed).toBe(SHARED_LIMITS.failuresPerIdentifier);
    // A thousand transactions on each backend: about 10 s on Postgres on a quiet machine, three
    // times that while the whole suite runs beside it. What is asserted is the count, not the time.
  }, 120_000);

  it("per-IP failure budget: both processes together evaluate exactly the budget", async () => {
    const [a, b] = await inBothProcesses(backend, "spray", 15);
    expect([...a.unexpected, ...b.unexpected]).toEqual([]);
    expect(a.passed + b.passed).toBe(SHARED_LIMITS.failuresPerIp);
  });
}

describe.skipIf(!redisUp)("two processes sharing Redis", () => sharedLimitsHold("redis"));
describe.skipIf(!postgresUp)("two processes sharing Postgres", () => sharedLimitsHold("postgres"));
describe("two processes sharing a SQLite file", () => sharedLimitsHold("sqlite"));
