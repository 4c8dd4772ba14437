/**
 * Checks per second through each ledger store, 64 checks in flight from one process, with p99
 * latency; and the same with the audit log attached, to show what auditing costs.
 *
 *   npx tsx bench/stores.bench.ts            (or: npm run bench -- stores)
 *
 * Redis and Postgres are the ones on this machine (127.0.0.1); a store that cannot be reached is
 * reported and skipped. Audit off and on alternate in one run (the machine is shared).
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { AuditLog } from "../src/audit/audit-log.js";
import { memoryAuditLog } from "../src/audit/memory.js";
import { postgresAuditLog } from "../src/audit/postgres.js";
import { attachAuditLog } from "../src/audit/recorder.js";
import { sqliteAuditLog } from "../src/audit/sqlite.js";
import { createOtp, generateKey, type Generated, type Otp } from "../src/index.js";
import { newVerificationId } from "../src/core/token.js";
import { memoryStore } from "../src/stores/memory.js";
import { postgresStore } from "../src/stores/postgres.js";
import { redisStore } from "../src/stores/redis.js";
import { sqliteStore } from "../src/stores/sqlite.js";
import type { LedgerStore } from "../src/stores/store.js";

const IN_FLIGHT = 64;
const YIELD_EVERY = IN_FLIGHT;
const POSTGRES_URL = process.env.OTP_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.OTP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = `${process.pid}`;

interface Subject {
  name: string;
  /** Checks per measured run. */
  checks: number;
  store: LedgerStore;
  audit: () => AuditLog;
  auditName: string;
  cleanup: () => Promise<void>;
}

interface Measured {
  perSecond: number;
  p99Ms: number;
}

/** Runs `count` operations with `IN_FLIGHT` at a time; `finish` runs inside the timed window. */
async function inFlight(count: number, operation: (index: number) => Promise<unknown>, finish?: () => Promise<void>): Promise<Measured> {
  const latencies = new Float64Array(count);
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const index = next++;
        const t0 = performance.now();
        await operation(index);
        latencies[index] = performance.now() - t0;
        // A server's checks arrive between network reads, so its event loop turns; here a
        // synchronous store (SQLite) would otherwise chain checks as microtasks only, and no
        // timer or worker reply (the audit writer's) would run until the end.
        if (index % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }),
  );
  await finish?.();
  const elapsedMs = performance.now() - startedAt;
  latencies.sort();
  return { perSecond: (count / elapsedMs) * 1000, p99Ms: latencies[Math.floor(count * 0.99)]! };
}

async function issue(otp: Otp, count: number): Promise<Generated[]> {
  const issued: Generated[] = new Array(count);
  await inFlight(count, async (i) => {
    issued[i] = await otp.generate({ identifier: `user${i % 1000}@example.com`, purpose: "login" });
  });
  return issued;
}

async function verifyRun(otp: Otp, count: number, withAudit: (() => AuditLog) | undefined): Promise<Measured> {
  // Attached before issuing, as a service does at start: its events then flow from generate on.
  const recorder = withAudit ? attachAuditLog(otp, withAudit()) : undefined;
  const issued = await issue(otp, count);
  await recorder?.flush();
  const result = await inFlight(
    count,
    (i) => otp.verify({ code: issued[i]!.code, context: issued[i]!.context, purpose: "login", client: { ip: "198.51.100.7", userAgent: "bench" } }),
    recorder ? () => recorder.close() : undefined,
  );
  return result;
}

async function recordRun(store: LedgerStore, count: number): Promise<Measured> {
  const ids = Array.from({ length: count }, () => newVerificationId());
  await inFlight(count, (i) => store.open(ids[i]!, 600_000));
  return inFlight(count, (i) => store.record(ids[i]!, true, 3));
}

function reachable(url: string, port: number): Promise<boolean> {
  const { hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port });
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function subjects(): Promise<Subject[]> {
  const list: Subject[] = [];
  list.push({ name: "memory", checks: 60_000, store: memoryStore(), audit: () => memoryAuditLog(), auditName: "memory", cleanup: async () => {} });

  const dir = mkdtempSync(join(tmpdir(), "otp-bench-"));
  const sqlite = sqliteStore({ path: join(dir, "otp.db") });
  const sqliteAudit = sqliteAuditLog({ path: join(dir, "audit.db") });
  await sqliteAudit.migrate();
  list.push({ name: "sqlite", checks: 40_000, store: sqlite, audit: () => sqliteAudit, auditName: "sqlite", cleanup: async () => {
    await sqliteAudit.close();
    rmSync(dir, { recursive: true, force: true });
  } });

  const postgresUp = await reachable(POSTGRES_URL, Number(new URL(POSTGRES_URL).port || 5432));
  const auditTable = `otp_audit_bench_${suffix}`;
  const pgAudit = postgresUp ? postgresAuditLog({ connectionString: POSTGRES_URL, tableName: auditTable }) : undefined;
  await pgAudit?.migrate();

  if (await reachable(REDIS_URL, Number(new URL(REDIS_URL).port || 6379))) {
    const keyPrefix = `otp-bench:${suffix}:`;
    const redis = redisStore({ url: REDIS_URL, keyPrefix });
    list.push({
      name: "redis",
      checks: 30_000,
      store: redis,
      // Redis holds the ledger; the durable audit trail goes to Postgres (or memory without it).
      audit: () => pgAudit ?? memoryAuditLog({ maxRows: 1_000_000 }),
      auditName: pgAudit ? "postgres" : "memory",
      cleanup: async () => {
        let cursor = "0";
        do {
          const [next, keys] = await redis.client.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
          cursor = next;
          if (keys.length) await redis.client.del(...keys);
        } while (cursor !== "0");
      },
    });
  } else console.log("redis: not reachable, skipped");

  if (pgAudit) {
    const tableName = `otp_ledger_bench_${suffix}`;
    const postgres = postgresStore({ connectionString: POSTGRES_URL, tableName });
    list.push({
      name: "postgres",
      checks: 12_000,
      store: postgres,
      audit: () => pgAudit,
      auditName: "postgres",
      cleanup: async () => {
        await postgres.pool.query(`DROP TABLE IF EXISTS ${tableName}`);
        await pgAudit.pool.query(`DROP TABLE IF EXISTS ${auditTable}`);
        await pgAudit.close();
      },
    });
  } else console.log("postgres: not reachable, skipped");
  return list;
}

const ROUNDS = 3;

/**
 * A log that stores nothing: the recorder's cost on the check path alone (listening, mapping,
 * buffering, batching), without the database work that a real log adds on some core.
 */
const discardingLog = (): AuditLog => ({
  append: async () => {},
  query: async () => ({ rows: [] }),
  exportCsv: async function* () {},
  purge: async () => 0,
  close: async () => {},
});

function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const TARGETS: Record<string, number> = { sqlite: 30_000, redis: 25_000, postgres: 5_000 };
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const rows: string[][] = [];
for (const subject of await subjects()) {
  const { store } = subject;
  await store.migrate?.();
  const otp = createOtp({ keys: generateKey("bench"), store });
  // Warm-up: JIT, prepared statements, connections.
  await verifyRun(otp, 2_000, undefined);
  await recordRun(store, 2_000);

  const record = await recordRun(store, subject.checks);
  // Off and on alternate, three rounds each, and the median of each is kept: the machine is
  // shared, and alternating spreads any outside load over both sides alike.
  const offRuns: Measured[] = [];
  const onRuns: Measured[] = [];
  const pathRuns: Measured[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    offRuns.push(await verifyRun(otp, subject.checks, undefined));
    onRuns.push(await verifyRun(otp, subject.checks, subject.audit));
    pathRuns.push(await verifyRun(otp, subject.checks, discardingLog));
  }
  const off = median(offRuns);
  const on = median(onRuns);
  const path = median(pathRuns);
  const target = TARGETS[subject.name];
  rows.push([
    subject.name,
    fmt(record.perSecond),
    record.p99Ms.toFixed(2),
    fmt(off.perSecond),
    off.p99Ms.toFixed(2),
    `${fmt(on.perSecond)} (${subject.auditName})`,
    on.p99Ms.toFixed(2),
    `${(((off.perSecond - on.perSecond) / off.perSecond) * 100).toFixed(1)}%`,
    `${(((off.perSecond - path.perSecond) / off.perSecond) * 100).toFixed(1)}%`,
    target ? `≥ ${fmt(target)}: ${record.perSecond >= target ? "met" : "MISSED"}` : "",
  ]);
  console.log(`${subject.name}: ${rows[rows.length - 1]!.join("  ")}`);
  await subject.cleanup();
  await store.close();
}

const header = ["store", "store checks/s", "p99 ms", "verify/s", "p99 ms", "verify/s + audit", "p99 ms", "audit cost", "of which check path", "target (store checks/s)"];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
console.log(`\n${IN_FLIGHT} checks in flight from one process; verify/s is the median of ${ROUNDS} alternating rounds; node ${process.version}`);
console.log("store checks/s: LedgerStore.record alone; verify/s: createOtp().verify (token open, HMAC, record, events)");
console.log("audit cost: verify/s lost with the audit log attached; of which check path: lost with a log that stores nothing\n");
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));
process.exit(0);
