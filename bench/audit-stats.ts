/**
 * The operator's overview and searches on a large audit log: 1,000,000 rows over 30 days (a mix
 * of purposes, channels, numbers and IPs, with a few abusive IPs) filled into SQLite and into a
 * fresh Postgres schema, then the time of each stats query (1 h, 24 h, 7 d, 30 d, with and
 * without the smallest purpose and channel) and each search (identifier, verification + identifier, IP, purpose +
 * action + time). First, what the indexes the overview needs cost each insert.
 *
 *   npm run bench:audit      (BENCH_AUDIT_ROWS=200000 for a smaller log)
 *
 * Each figure is the median of three runs after one warm-up.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
// The built package, as users run it: the npm script builds first.
import type { AuditFilter, AuditLog, AuditRecord } from "../dist/audit/audit-log.js";
import { postgresAuditLog } from "../dist/audit/postgres.js";
import { sqliteAuditLog } from "../dist/audit/sqlite.js";
import type { AuditStatsQuery } from "../dist/audit/stats.js";
import { fmt, median, printTable } from "./stats.js";
import { auditRows, type GeneratedLog } from "./audit-stats-data.js";

const POSTGRES_URL = process.env.OTP_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const INSERT_ROWS = 100_000;
const HOUR_MS = 3_600_000;
const TARGET_MS = 500;

/** The overview's indexes, dropped to measure what inserts cost without them (SQLite's refusals index is `refusal_sources`). */
const NEW_INDEXES = ["client_ip", "generated", "refusals", "refusal_sources", "checks"] as const;

interface Backend {
  name: string;
  open(
    table: string,
  ): Promise<{ log: AuditLog; dropIndex(name: string): Promise<void>; dropRollup(): Promise<void>; analyze(): Promise<void> }>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "otp-bench-audit-stats-"));
  const database = new Database(join(dir, "audit.db"));
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  return {
    name: "sqlite",
    async open(table) {
      const log = sqliteAuditLog({ database, tableName: table });
      await log.migrate();
      return {
        log,
        dropIndex: async (name) => void database.exec(`DROP INDEX IF EXISTS ${table}_${name}`),
        dropRollup: async () => void database.exec(`DROP TRIGGER ${table}_rollup_add; DROP TRIGGER ${table}_rollup_remove`),
        analyze: async () => void database.exec("ANALYZE"),
      };
    },
    async cleanup() {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresBackend(): Promise<Backend | undefined> {
  const schema = `otp_bench_audit_${process.pid}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (error) {
    console.log(`postgres not reachable at ${POSTGRES_URL} (${String(error)}): its rows skipped`);
    await admin.end();
    return undefined;
  }
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 6 });
  return {
    name: "postgres",
    async open(table) {
      const log = postgresAuditLog({ pool, tableName: table, timeoutMs: 60_000 });
      await log.migrate();
      return {
        log,
        dropIndex: async (name) => void (await pool.query(`DROP INDEX IF EXISTS ${table}_${name}`)),
        dropRollup: async () =>
          void (await pool.query(`DROP TRIGGER ${table}_rollup_add ON ${table}; DROP TRIGGER ${table}_rollup_remove ON ${table}`)),
        analyze: async () => void (await pool.query(`VACUUM ANALYZE ${table}`)),
      };
    },
    async cleanup() {
      await pool.end();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function timeMs(run: () => Promise<unknown>): Promise<number> {
  await run();
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const startedAt = performance.now();
    await run();
    runs.push(performance.now() - startedAt);
  }
  return median(runs);
}

/** Rows/s appending `rows` in the recorder's batch size, with the indexes named dropped, and the rollup's triggers unless `rollup`. */
async function insertRate(backend: Backend, table: string, drop: readonly string[], rollup: boolean, rows: AuditRecord[]): Promise<number> {
  const { log, dropIndex, dropRollup } = await backend.open(table);
  for (const name of drop) await dropIndex(name);
  if (!rollup) await dropRollup();
  const startedAt = performance.now();
  for (let i = 0; i < rows.length; i += 500) await log.append(rows.slice(i, i + 500));
  return rows.length / ((performance.now() - startedAt) / 1000);
}

function overviewQueries(data: GeneratedLog): Array<[string, AuditStatsQuery]> {
  const to = new Date(data.endMs);
  // From the hour: what the rollup answers (whole hours from it, the last partial hour from the rows).
  const back = (ms: number) => new Date(Math.floor((data.endMs - ms) / HOUR_MS) * HOUR_MS);
  const ranges: Array<[string, number]> = [
    ["1 h", HOUR_MS],
    ["24 h", 24 * HOUR_MS],
    ["7 d", 7 * 24 * HOUR_MS],
    ["30 d", 30 * 24 * HOUR_MS],
  ];
  return ranges
    .flatMap(
      ([label, ms]): Array<[string, AuditStatsQuery]> => [
        [`stats ${label}`, { from: back(ms), to }],
        // The smallest purpose and channel: their rows are the sparsest in the time order.
        [`stats ${label}, purpose`, { from: back(ms), to, purpose: "signup" }],
        [`stats ${label}, channel`, { from: back(ms), to, channel: "voice" }],
        [`stats ${label}, purpose + channel`, { from: back(ms), to, purpose: "signup", channel: "voice" }],
      ],
    )
    .concat([
      // A range that does not start on the hour is answered from the rows alone.
      ["stats 7 d, from not on the hour", { from: new Date(data.endMs - 7 * 24 * HOUR_MS), to }],
      ["stats 30 d, from not on the hour", { from: new Date(data.endMs - 30 * 24 * HOUR_MS), to }],
    ]);
}

function searches(data: GeneratedLog): Array<[string, AuditFilter]> {
  return [
    ["search: identifier (busiest)", { identifierHash: data.busiestIdentifierHash }],
    [
      "search: verification + identifier",
      { verificationId: data.sampleVerification.id, identifierHash: data.sampleVerification.identifierHash },
    ],
    ["search: IP (abusive, busiest)", { clientIp: data.abusiveIp }],
    ["search: IP (ordinary)", { clientIp: data.ordinaryIp }],
    [
      "search: purpose + action + 7 d",
      { purpose: "payment", action: "failed", from: new Date(data.endMs - 7 * 24 * HOUR_MS), to: new Date(data.endMs) },
    ],
  ];
}

async function main(): Promise<void> {
  const backends = [sqliteBackend(), await postgresBackend()].filter((backend): backend is Backend => backend !== undefined);
  try {
    const sample = auditRows(INSERT_ROWS, Date.now());
    console.log(`insert cost: ${fmt(INSERT_ROWS)} rows appended 500 at a time into an empty table`);
    const inserts: Array<Record<string, string>> = [];
    for (const backend of backends) {
      const base = await insertRate(backend, "otp_audit_ins_base", NEW_INDEXES, false, sample.rows);
      const indexed = await insertRate(backend, "otp_audit_ins_idx", [], false, sample.rows);
      const all = await insertRate(backend, "otp_audit_ins_all", [], true, sample.rows);
      inserts.push({
        log: backend.name,
        "rows/s, earlier indexes": fmt(base),
        "+ client_ip, generated, refusals, checks": `${fmt(indexed)} (${fmt((base / indexed - 1) * 100, 1)}%)`,
        "+ those and the hourly rollup": `${fmt(all)} (${fmt((base / all - 1) * 100, 1)}%)`,
      });
    }
    printTable(inserts);

    const data = auditRows(ROWS, Date.now());
    console.log(`\nfilling ${fmt(ROWS)} rows over 30 days into each log`);
    const results = new Map<string, Record<string, string>>();
    for (const backend of backends) {
      const { log, analyze } = await backend.open("otp_audit_big");
      const startedAt = performance.now();
      for (let i = 0; i < data.rows.length; i += 20_000) await log.append(data.rows.slice(i, i + 20_000));
      await analyze();
      console.log(`${backend.name}: filled in ${fmt((performance.now() - startedAt) / 1000, 1)} s (then ANALYZE)`);
      for (const [name, query] of overviewQueries(data)) {
        const ms = await timeMs(() => log.stats(query));
        results.set(name, { ...results.get(name), query: name, [`${backend.name} ms`]: fmt(ms, 1) });
      }
      for (const [name, filter] of searches(data)) {
        const ms = await timeMs(() => log.query(filter));
        results.set(name, { ...results.get(name), query: name, [`${backend.name} ms`]: fmt(ms, 1) });
      }
    }
    console.log("");
    printTable([...results.values()]);
    const slow = [...results.values()].filter((row) => backends.some((b) => Number(row[`${b.name} ms`]?.replace(/,/g, "")) >= TARGET_MS));
    console.log(slow.length === 0 ? `\nevery query under ${TARGET_MS} ms` : `\n${slow.length} queries at or over ${TARGET_MS} ms`);
  } finally {
    for (const backend of backends) await backend.cleanup();
  }
}

await main();
