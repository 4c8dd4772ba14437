/**
 * What the guard costs: successful checks and starts per second with the guard off
 * (`guard: false`) and on (the default), in the same run, on every store the guard counts on:
 * memory, SQLite (a temporary file), Redis and Postgres (when reachable).
 *
 *   npm run bench -- guard      (or, after `npm run build`: npx tsx bench/guard.bench.ts)
 *
 * "on" is `createOtp({ keys, store })` with every default limit, its counters built from the store
 * itself: on memory, SQLite and Redis a check is one step (the reservation, the ledger's record
 * and the settling together) and a start one step (every send limit and the ledger's open); on
 * Postgres the guard's steps and the ledger's statements are separate calls. A store of this run's
 * prefix or table gives the counters a prefix or table of its own, so the run removes them after.
 *
 * No limit refuses: every send is to a new email identifier from a new client IP (10.x.y.z, 16.7
 * million addresses, so `sendsPerIp`'s 30 an hour is never reached), and a check comes from the
 * IP its code was sent from. A refusal or error is counted and printed, never hidden.
 *
 * Rounds alternate off, on, off, on… after one warm-up round of each; the table gives the median
 * of the rounds, and beside it best on / best off. CPU is this process's (process.cpuUsage around
 * the measured loop) per operation; the server's (Redis, Postgres) is read from /proc for the same
 * interval, where anything else using that server at the time counts too. "CPU off/on" is what
 * the throughput ratio would be if this process's CPU were all that limited it: on a shared
 * machine it moves less than throughput does.
 *
 * Sizes: BENCH_GUARD_SCALE multiplies every count (default 1); BENCH_GUARD_ROUNDS (default 5).
 * BENCH_GUARD_ONLY=sqlite,redis runs only those backends; BENCH_GUARD_VERBOSE=1 prints every round.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
// The built package, as users run it: `npm run bench` builds first.
import { createOtp, generateKey, type Channel, type GuardOptions, type LedgerStore, type Otp } from "../dist/index.js";
import { MemoryStore } from "../dist/stores/memory.js";
import { postgresStore } from "../dist/stores/postgres.js";
import { redisStore } from "../dist/stores/redis.js";
import { sqliteStore } from "../dist/stores/sqlite.js";
import { cpuSecondsBetween, cpuSecondsByPid } from "./process-cpu.js";
import { fmt, median, printTable } from "./stats.js";

const SCALE = Number(process.env.BENCH_GUARD_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_GUARD_ROUNDS ?? 5);
const CONCURRENCY = 64;
const ONLY = process.env.BENCH_GUARD_ONLY?.split(",");
const VERBOSE = process.env.BENCH_GUARD_VERBOSE === "1";
const TARGET_RATIO = 0.7;
const TARGET_CPU = 2;
const REDIS_URL = process.env.OTP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.OTP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const keys = generateKey("bench");
const runTag = `${process.pid}_${Date.now().toString(36)}`;

/** Delivers nowhere and keeps nothing. */
const channel: Channel = { name: "email", accepts: "email", deliver: async () => {} };

interface Backend {
  label: string;
  /** Operations per measured loop (checks, starts). */
  size: number;
  store: LedgerStore;
  /** The guard option of the "on" engine: undefined is the default. */
  guard: GuardOptions | undefined;
  /** Server processes whose CPU is read from /proc. */
  serverNames?: ReadonlySet<string>;
  cleanup: () => Promise<void>;
}

interface Sample {
  opsPerSecond: number;
  cpuMicros: number;
  serverCpuMicros: number;
  failures: number;
  firstFailure?: string;
}

// Every send, across engines and rounds, is to a new identifier from a new IP.
let sends = 0;
function nextSender(): { identifier: string; ip: string } {
  const n = sends++;
  return { identifier: `u${n}.${runTag}@example.com`, ip: `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` };
}

async function pool(count: number, work: (i: number) => Promise<void>): Promise<{ failures: number; firstFailure?: string }> {
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        try {
          await work(i);
        } catch (error) {
          failures++;
          firstFailure ??= (error as { code?: string }).code ?? String(error);
        }
      }
    }),
  );
  return firstFailure === undefined ? { failures } : { failures, firstFailure };
}

async function measure(count: number, serverNames: ReadonlySet<string> | undefined, work: (i: number) => Promise<void>): Promise<Sample> {
  (globalThis as { gc?: () => void }).gc?.();
  const serverBefore = serverNames ? cpuSecondsByPid(serverNames) : undefined;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { failures, firstFailure } = await pool(count, work);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverSeconds = serverBefore ? cpuSecondsBetween(serverBefore, cpuSecondsByPid(serverNames!)) : Number.NaN;
  return {
    opsPerSecond: count / seconds,
    cpuMicros: (cpu.user + cpu.system) / count,
    serverCpuMicros: (serverSeconds * 1e6) / count,
    failures,
    ...(firstFailure !== undefined && { firstFailure }),
  };
}

async function checks(otp: Otp, backend: Backend): Promise<Sample> {
  // Issued by the engine that checks them, as in an application (untimed); each from its own IP.
  const issued: Array<{ code: string; context: string; ip: string }> = new Array(backend.size);
  const setup = await pool(backend.size, async (i) => {
    const { identifier, ip } = nextSender();
    const generated = await otp.generate({ identifier, purpose: "login", client: { ip } });
    issued[i] = { code: generated.code, context: generated.context, ip };
  });
  if (setup.failures > 0) throw new Error(`issuing codes for the checks failed ${setup.failures} times (${setup.firstFailure})`);
  return measure(backend.size, backend.serverNames, async (i) => {
    const item = issued[i]!;
    await otp.verify({ code: item.code, context: item.context, purpose: "login", client: { ip: item.ip } });
  });
}

async function starts(otp: Otp, backend: Backend): Promise<Sample> {
  return measure(backend.size, backend.serverNames, async () => {
    const { identifier, ip } = nextSender();
    await otp.start({ identifier, purpose: "login", channel: "email", client: { ip } });
  });
}

async function memoryBackend(): Promise<Backend> {
  return { label: "memory", size: Math.round(20_000 * SCALE), store: new MemoryStore(), guard: undefined, cleanup: async () => {} };
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "otp-bench-guard-"));
  const store = sqliteStore({ path: join(dir, "otp.db") });
  await store.migrate();
  return {
    label: "sqlite (temp file)",
    size: Math.round(10_000 * SCALE),
    store,
    guard: undefined,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function redisBackend(): Promise<Backend | string> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const up = await client.connect().then(
    () => true,
    () => false,
  );
  if (!up) {
    client.disconnect();
    return `redis not reachable at ${REDIS_URL}: its rows are skipped`;
  }
  const prefix = `otp-bench-guard:${runTag}:`;
  const store = redisStore({ client, keyPrefix: prefix });
  await store.migrate();
  return {
    label: "redis",
    size: Math.round(10_000 * SCALE),
    store,
    guard: undefined,
    serverNames: new Set(["redis-server"]),
    cleanup: async () => {
      await store.close();
      let cursor = "0";
      do {
        const [nextCursor, found] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
        cursor = nextCursor;
        if (found.length > 0) await client.unlink(...found);
      } while (cursor !== "0");
      client.disconnect();
    },
  };
}

async function postgresBackend(): Promise<Backend | string> {
  const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 });
  const up = await probe.connect().then(
    () => true,
    () => false,
  );
  await probe.end().catch(() => undefined);
  if (!up) return `postgres not reachable at ${PG_URL}: its rows are skipped`;
  const table = `bench_guard_${runTag}`;
  const store = postgresStore({ connectionString: PG_URL, tableName: table });
  await store.migrate();
  return {
    label: "postgres",
    size: Math.round(1_500 * SCALE),
    store,
    guard: undefined,
    serverNames: new Set(["postgres"]),
    cleanup: async () => {
      await store.pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_guard`);
      await store.close();
    },
  };
}

interface Row {
  backend: string;
  op: string;
  n: number;
  off: Sample[];
  on: Sample[];
}

async function run(backend: Backend, rows: Row[]): Promise<void> {
  const off = createOtp({ keys, store: backend.store, guard: false, channels: [channel] });
  const on = createOtp({ keys, store: backend.store, channels: [channel], ...(backend.guard && { guard: backend.guard }) });
  for (const [op, measureOp] of [
    ["checks", checks],
    ["starts", starts],
  ] as const) {
    const row: Row = { backend: backend.label, op, n: backend.size, off: [], on: [] };
    // One round of each first, discarded: JIT, statement and connection warm-up.
    await measureOp(off, backend);
    await measureOp(on, backend);
    for (let i = 0; i < ROUNDS; i++) {
      row.off.push(await measureOp(off, backend));
      row.on.push(await measureOp(on, backend));
      if (VERBOSE) {
        const [a, b] = [row.off.at(-1)!, row.on.at(-1)!];
        console.log(
          `${backend.label} ${op} round ${i + 1}: off ${fmt(a.opsPerSecond)}/s ${fmt(a.cpuMicros, 1)} µs, on ${fmt(b.opsPerSecond)}/s ${fmt(b.cpuMicros, 1)} µs`,
        );
      }
    }
    rows.push(row);
  }
  await off.close();
  await on.close();
}

const mid = (samples: Sample[], field: "opsPerSecond" | "cpuMicros" | "serverCpuMicros"): number => median(samples.map((s) => s[field]));
const best = (samples: Sample[]): number => Math.max(...samples.map((s) => s.opsPerSecond));
const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;
const failuresOf = (samples: Sample[]): string => {
  const count = samples.reduce((sum, s) => sum + s.failures, 0);
  const first = samples.find((s) => s.firstFailure)?.firstFailure;
  return count === 0 ? "0" : `${count} (${first})`;
};

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  const skipped: string[] = [];
  const makers = { memory: memoryBackend, sqlite: sqliteBackend, redis: redisBackend, postgres: postgresBackend };
  for (const [name, make] of Object.entries(makers)) {
    if (ONLY && !ONLY.includes(name)) continue;
    const backend = await make();
    if (typeof backend === "string") {
      skipped.push(backend);
      continue;
    }
    try {
      await run(backend, rows);
    } finally {
      await backend.cleanup();
    }
  }

  console.log(
    `guard off (guard: false) against on (every default limit, counters on the store's backend); successful checks and starts, ` +
      `concurrency ${CONCURRENCY}, n per round; median of ${ROUNDS} rounds after a warm-up, off and on alternating; ` +
      `every send a new identifier and a new IP of 10.0.0.0/8; target: on ≥ ${TARGET_RATIO * 100}% of off`,
  );
  for (const line of skipped) console.log(line);
  printTable(
    rows.map((row) => {
      const ratio = mid(row.on, "opsPerSecond") / mid(row.off, "opsPerSecond");
      const server = (samples: Sample[]) => (Number.isNaN(mid(samples, "serverCpuMicros")) ? "-" : fmt(mid(samples, "serverCpuMicros"), 1));
      return {
        backend: row.backend,
        op: row.op,
        n: row.n,
        "off /s": fmt(mid(row.off, "opsPerSecond")),
        "on /s": fmt(mid(row.on, "opsPerSecond")),
        "on/off": percent(ratio),
        target: row.backend === "postgres" ? "(none)" : ratio >= TARGET_RATIO ? "met" : "MISSED",
        "best on/off": percent(best(row.on) / best(row.off)),
        "off µs CPU/op": fmt(mid(row.off, "cpuMicros"), 1),
        "on µs CPU/op": fmt(mid(row.on, "cpuMicros"), 1),
        "CPU off/on": percent(mid(row.off, "cpuMicros") / mid(row.on, "cpuMicros")),
        "server µs CPU/op off": server(row.off),
        "server µs CPU/op on": server(row.on),
        "failed (off/on)": `${failuresOf(row.off)}/${failuresOf(row.on)}`,
      };
    }),
  );
  const cpuOf = (backend: string) => rows.find((row) => row.backend.startsWith(backend) && row.op === "starts");
  const memory = cpuOf("memory");
  const sqlite = cpuOf("sqlite");
  if (memory && sqlite) {
    const m = mid(memory.on, "cpuMicros");
    const s = mid(sqlite.on, "cpuMicros");
    console.log(
      `guarded start CPU (this process, median): sqlite ${fmt(s, 1)} µs, memory ${fmt(m, 1)} µs: ${(s / m).toFixed(2)}× ` +
        `(target ≤ ${TARGET_CPU}×: ${s / m <= TARGET_CPU ? "met" : "MISSED"}); unguarded: sqlite ${fmt(mid(sqlite.off, "cpuMicros"), 1)} µs, memory ${fmt(mid(memory.off, "cpuMicros"), 1)} µs`,
    );
  }
  console.log(
    `${sends} sends in ${((Date.now() - started) / 1000).toFixed(0)} s; ${availableParallelism()} cores, 1-minute load average ${loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after`,
  );
}

await main();
