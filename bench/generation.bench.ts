/**
 * What the pair keys' generation costs a check's guard step: the same reservation step (every
 * failure budget of the default limits) applied with its generation key (as checks run now) and
 * without it (the same keys, unnumbered, as before generations existed), on each counter backend,
 * one step at a time so that queueing on a shared machine does not swamp the difference.
 *
 *   npm run build && npx tsx bench/generation.bench.ts
 *
 * Each step is for a new identifier from a new IP, so nothing refuses. Rounds alternate with and
 * without; the table gives the median and the best µs per step over the rounds (on a loaded
 * machine the best is the steadier figure).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import pg from "pg";
import type { CounterStore } from "../dist/guard/counters/counter-store.js";
import { checkStep } from "../dist/guard/check-step.js";
import { memoryCounters } from "../dist/guard/counters/memory.js";
import { postgresCounters } from "../dist/guard/counters/postgres.js";
import { redisCounters } from "../dist/guard/counters/redis.js";
import { sqliteCounters } from "../dist/guard/counters/sqlite.js";
import { DEFAULT_LIMITS } from "../dist/guard/options.js";
import { median, printTable } from "./stats.js";

const STEPS = Number(process.env.BENCH_GENERATION_STEPS ?? 500);
const ROUNDS = Number(process.env.BENCH_GENERATION_ROUNDS ?? 5);
const REDIS_URL = process.env.OTP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.OTP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function round(counters: CounterStore, withGeneration: boolean): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < STEPS; i++) {
    const step = checkStep(
      {
        id: "x",
        identifierHash: randomBytes(16).toString("base64url"),
        purpose: "login",
        client: { ip: `10.${i & 255}.${(i >> 8) & 255}.${Math.floor(Math.random() * 255)}` },
        nowMs: Date.now(),
        deadlineMs: Date.now() + 5000,
      },
      { limits: DEFAULT_LIMITS, sendIpScope: "*", failureIpScope: "*" },
    );
    const result = await counters.apply({
      ops: step.ops,
      nowMs: Date.now(),
      deadlineMs: Date.now() + 5000,
      ...(withGeneration && { generation: step.generation }),
    });
    if (result.refused) throw new Error("a step was refused");
  }
  return ((performance.now() - started) * 1000) / STEPS;
}

async function measure(label: string, counters: CounterStore): Promise<Record<string, string>> {
  await round(counters, true);
  await round(counters, false);
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    off.push(await round(counters, false));
    on.push(await round(counters, true));
  }
  const [a, b] = [median(off), median(on)];
  const [bestOff, bestOn] = [Math.min(...off), Math.min(...on)];
  return {
    backend: label,
    "median µs without": a.toFixed(0),
    "median µs with": b.toFixed(0),
    "best µs without": bestOff.toFixed(0),
    "best µs with": bestOn.toFixed(0),
    "cost (best)": `${(((bestOn - bestOff) / bestOff) * 100).toFixed(0)}%`,
  };
}

const rows: Array<Record<string, string>> = [];
rows.push(await measure("memory", memoryCounters()));
const dir = mkdtempSync(join(tmpdir(), "otp-generation-"));
const database = new Database(join(dir, "counters.db"));
database.pragma("journal_mode = WAL");
rows.push(await measure("SQLite", sqliteCounters({ database })));
database.close();
rmSync(dir, { recursive: true, force: true });
const redis = new Redis(REDIS_URL);
const prefix = `bench-generation-${process.pid}:`;
rows.push(await measure("Redis", redisCounters({ client: redis, keyPrefix: prefix })));
const keys = await redis.keys(`${prefix}*`);
for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
redis.disconnect();
const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
const table = `bench_generation_${process.pid}`;
rows.push(await measure("Postgres", postgresCounters({ pool, tableName: table })));
await pool.query(`DROP TABLE IF EXISTS ${table}`);
await pool.end();

printTable(rows);
