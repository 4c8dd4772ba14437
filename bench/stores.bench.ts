/**
 * Checks per second through each ledger store, 64 checks in flight from one process, with p99
 * latency; and the same with the audit log attached, to show what auditing costs, beside the
 * same with only a thread keeping the other core busy, to show what any writer running beside the
 * checks costs them.
 *
 *   npm run bench -- stores      (or, after `npm run build`: npx tsx bench/stores.bench.ts)
 *
 * Redis and Postgres are the ones on this machine (127.0.0.1); a store that cannot be reached is
 * reported and skipped. The variants alternate in one run (the machine is shared).
 * BENCH_STORES=sqlite,redis runs a subset.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
// The built package, as users run it: `npm run bench` and `npm run bench:http` build first.
import type { AuditLog } from "../dist/audit/audit-log.js";
import { memoryAuditLog } from "../dist/audit/memory.js";
import { postgresAuditLog } from "../dist/audit/postgres.js";
import { attachAuditLog } from "../dist/audit/recorder.js";
import { sqliteAuditLog } from "../dist/audit/sqlite.js";
import { createOtp, generateKey, type Generated, type Otp } from "../dist/index.js";
import { newVerificationId } from "../dist/core/token.js";
import { memoryStore } from "../dist/stores/memory.js";
import { postgresStore } from "../dist/stores/postgres.js";
import { redisStore } from "../dist/stores/redis.js";
import { sqliteStore } from "../dist/stores/sqlite.js";
import type { LedgerStore } from "../dist/contracts/ledger.js";
import { busyCore } from "./busy-core.js";
import { cpuSecondsBetween, cpuSecondsByPid } from "./process-cpu.js";
import { median } from "./stats.js";

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
  /** CPU time per operation of this process (all its threads) and the database servers here. */
  cpuMicros: number;
}

/** Their background workers count too: they run for the writes being measured. */
const DATABASE_SERVERS = new Set(["postgres", "redis-server"]);

interface CpuReading {
  ownSeconds: number;
  servers: Map<string, number>;
}

/** CPU so far of this process and of the database servers, for `cpuSecondsSince`. */
function cpuNow(): CpuReading {
  const own = process.cpuUsage();
  return { ownSeconds: (own.user + own.system) / 1e6, servers: cpuSecondsByPid(DATABASE_SERVERS) };
}

function cpuSecondsSince(before: CpuReading): number {
  const now = cpuNow();
  return now.ownSeconds - before.ownSeconds + cpuSecondsBetween(before.servers, now.servers);
}

/**
 * Operations that failed (a store that did not answer within its bound, say), by store: they
 * are reported under the table instead of ending the run, and not counted as done.
 */
const failures = new Map<string, { count: number; message: string }>();
let currentStore = "";

/** Runs `count` operations with `IN_FLIGHT` at a time; `finish` runs inside the timed window. */
async function inFlight(count: number, operation: (index: number) => Promise<unknown>, finish?: () => Promise<void>): Promise<Measured> {
  const latencies = new Float64Array(count);
  let next = 0;
  let failed = 0;
  const cpuBefore = cpuNow();
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const index = next++;
        const t0 = performance.now();
        try {
          await operation(index);
        } catch (error) {
          failed++;
          const seen = failures.get(currentStore);
          failures.set(currentStore, { count: (seen?.count ?? 0) + 1, message: seen?.message ?? (error as Error).message });
        }
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
  const cpuMicros = (cpuSecondsSince(cpuBefore) * 1e6) / (count - failed);
  latencies.sort();
  return { perSecond: ((count - failed) / elapsedMs) * 1000, p99Ms: latencies[Math.floor(count * 0.99)]!, cpuMicros };
}

async function issue(otp: Otp, count: number): Promise<Generated[]> {
  const issued: Generated[] = new Array(count);
  await inFlight(count, async (i) => {
    issued[i] = await otp.generate({ identifier: `user${i % 1000}@example.com`, purpose: "login" });
  });
  return issued;
}

interface Variant {
  label: string;
  audit?: () => AuditLog;
  /** A thread keeps the other core busy while the checks run (no audit log). */
  busyCore?: boolean;
}

async function verifyRun(otp: Otp, count: number, variant: Variant): Promise<Measured> {
  // Attached before issuing, as a service does at start: its events then flow from generate on.
  const recorder = variant.audit ? attachAuditLog(otp, variant.audit()) : undefined;
  const issued = await issue(otp, count);
  await recorder?.flush();
  const neighbour = variant.busyCore ? await busyCore() : undefined;
  try {
    return await inFlight(
      count,
      (i) =>
        otp.verify({
          code: issued[i]!.code,
          context: issued[i]!.context,
          purpose: "login",
          client: { ip: "198.51.100.7", userAgent: "bench" },
        }),
      recorder ? () => recorder.close() : undefined,
    );
  } finally {
    await neighbour?.stop();
  }
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
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const only = process.env.BENCH_STORES?.split(",");
const wanted = (name: string) => !only || only.includes(name);
// The Postgres audit log serves both the Redis and the Postgres rows; its table is dropped at the end.
const postgresUp = await reachable(POSTGRES_URL, Number(new URL(POSTGRES_URL).port || 5432));
const auditTable = `otp_audit_bench_${suffix}`;
const pgAudit = postgresUp ? postgresAuditLog({ connectionString: POSTGRES_URL, tableName: auditTable }) : undefined;
await pgAudit?.migrate();

async function subjects(): Promise<Subject[]> {
  const list: Subject[] = [];
  if (wanted("memory"))
    list.push({
      name: "memory",
      checks: 60_000,
      store: memoryStore(),
      audit: () => memoryAuditLog(),
      auditName: "memory",
      cleanup: async () => {},
    });

  if (wanted("sqlite")) list.push(sqliteSubject());

  if (wanted("redis") && (await reachable(REDIS_URL, Number(new URL(REDIS_URL).port || 6379)))) {
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
  } else if (wanted("redis")) console.log("redis: not reachable, skipped");

  if (wanted("postgres") && pgAudit) {
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
      },
    });
  } else if (wanted("postgres")) console.log("postgres: not reachable, skipped");
  return list;
}

function sqliteSubject(): Subject {
  const dir = mkdtempSync(join(tmpdir(), "otp-bench-"));
  const sqliteAudit = sqliteAuditLog({ path: join(dir, "audit.db") });
  return {
    name: "sqlite",
    checks: 40_000,
    store: sqliteStore({ path: join(dir, "otp.db") }),
    audit: () => sqliteAudit,
    auditName: "sqlite",
    cleanup: async () => {
      await sqliteAudit.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ROUNDS = 5;

/**
 * A log that stores nothing: the recorder's cost on the check path alone (listening, mapping,
 * buffering, batching), without the database work that a real log adds on some core.
 */
const discardingLog = (): AuditLog => ({
  append: async () => {},
  query: async () => ({ rows: [] }),
  exportCsv: async function* () {},
  stats: async () => {
    throw new Error("a log that stores nothing has nothing to count");
  },
  purge: async () => 0,
  close: async () => {},
});

function medianRun(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const TARGETS: Record<string, number> = { sqlite: 30_000, redis: 25_000, postgres: 5_000 };
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const rows: string[][] = [];
for (const subject of await subjects()) {
  const { store } = subject;
  currentStore = subject.name;
  await store.migrate?.();
  await subject.audit().migrate?.();
  // The engine on this store, without the guard (measured in `npm run bench -- guard`).
  const otp = createOtp({ keys: generateKey("bench"), store, guard: false });
  // Warm-up: JIT, prepared statements, connections.
  await verifyRun(otp, 2_000, { label: "warm-up" });
  await recordRun(store, 2_000);

  const record = await recordRun(store, subject.checks);
  // The variants take turns, ROUNDS rounds each, and the median of each is kept: the machine is
  // shared, so alternating spreads outside load over all of them alike. The order rotates each
  // round: every run leaves the ledger larger (its codes stay until they expire), which slows the
  // next run a little, so a fixed order would always charge that to the same side.
  const variants: Variant[] = [
    { label: "off" },
    { label: "on", audit: subject.audit },
    { label: "discarding log", audit: discardingLog },
    { label: "other core busy", busyCore: true },
  ];
  const runs: Measured[][] = variants.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let turn = 0; turn < variants.length; turn++) {
      const variant = (round + turn) % variants.length;
      runs[variant]!.push(await verifyRun(otp, subject.checks, variants[variant]!));
    }
  }
  const [off, on, path, busy] = runs.map(medianRun) as [Measured, Measured, Measured, Measured];
  const cpuOff = median(runs[0]!.map((run) => run.cpuMicros));
  const cpuOn = median(runs[1]!.map((run) => run.cpuMicros));
  const perRound = (pick: (run: Measured) => string) =>
    variants.map((variant, i) => `${variant.label} ${runs[i]!.map(pick).join(" / ")}`).join("; ");
  console.log(`${subject.name} verify/s per round: ${perRound((run) => fmt(run.perSecond))}`);
  // The busy core's thread is in this process, so its CPU figures count that thread too.
  console.log(`${subject.name} CPU µs/verify per round: ${perRound((run) => run.cpuMicros.toFixed(1))}`);
  const lost = (run: Measured) => `${(((off.perSecond - run.perSecond) / off.perSecond) * 100).toFixed(1)}%`;
  const target = TARGETS[subject.name];
  rows.push([
    subject.name,
    fmt(record.perSecond),
    record.p99Ms.toFixed(2),
    fmt(off.perSecond),
    off.p99Ms.toFixed(2),
    `${fmt(on.perSecond)} (${subject.auditName})`,
    on.p99Ms.toFixed(2),
    lost(on),
    lost(path),
    lost(busy),
    `${cpuOff.toFixed(1)} → ${cpuOn.toFixed(1)} (+${(((cpuOn - cpuOff) / cpuOff) * 100).toFixed(0)}%)`,
    target ? `≥ ${fmt(target)}: ${record.perSecond >= target ? "met" : "MISSED"}` : "",
  ]);
  console.log(`${subject.name}: ${rows[rows.length - 1]!.join("  ")}`);
  await subject.cleanup();
  await store.close();
}

const header = [
  "store",
  "store checks/s",
  "p99 ms",
  "verify/s",
  "p99 ms",
  "verify/s + audit",
  "p99 ms",
  "audit cost",
  "of which check path",
  "other core busy",
  "CPU µs/verify, off → on",
  "target (store checks/s)",
];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\n${IN_FLIGHT} checks in flight from one process; verify/s is the median of ${ROUNDS} alternating rounds; node ${process.version}`,
);
console.log("store checks/s: LedgerStore.record alone; verify/s: createOtp().verify (token open, HMAC, record, events)");
console.log("audit cost: verify/s lost with the audit log attached; of which check path: lost with a log that stores nothing");
console.log(
  "other core busy: verify/s lost, without audit, while a thread keeps the other core busy (what any writer beside the checks costs by running)",
);
console.log(
  "CPU µs/verify: this process (every thread) and every Postgres and Redis process here, per verify, medians; audit on includes writing every row\n",
);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));
for (const [name, { count, message }] of failures)
  console.log(`\n${name}: ${count} operations failed and were not counted (the first: ${message})`);
await pgAudit?.pool.query(`DROP TABLE IF EXISTS ${auditTable}`);
await pgAudit?.close();
process.exit(0);
