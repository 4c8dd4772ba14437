/**
 * How the SQL logs answer the stats over a long range. SQLite: the top lists and the percentiles
 * read their partial indexes alone, never the table, whatever the purpose and channel filters (a
 * month of a busy log is a second's reading through the table, tens of milliseconds through the
 * indexes). Postgres: the percentiles can walk the checks' index. On both, a table without those
 * indexes is not migrated until `migrate()` makes them.
 */
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/audit-log.js";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { POSTGRES_STATS } from "../../src/audit/postgres-stats-dialect.js";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { SQLITE_STATS } from "../../src/audit/sqlite-stats-dialect.js";
import { rollupTable } from "../../src/audit/rollup-sql.js";
import { statsStatements } from "../../src/audit/stats-sql.js";
import { normalizeStatsQuery } from "../../src/audit/stats.js";
import { auditRecord } from "../helpers/audit-records.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { requireService } from "../helpers/services.js";

const HOUR_MS = 3_600_000;
const READS_INDEXES_ALONE = ["topIps", "prefixes", "checkLatency", "timeToApprove"];

const START_MS = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 48 * HOUR_MS;
const FILTERS = [{}, { purpose: "signup" }, { channel: "sms" }, { purpose: "signup", channel: "sms" }];

/** Two days of sends and checks, a tenth of them of a small purpose. */
function rows(): AuditRecord[] {
  const rows = [];
  for (let i = 0; i < 2_000; i++) {
    const at = new Date(START_MS + i * 60_000);
    const purpose = i % 10 === 0 ? "signup" : "login";
    const channel = i % 3 === 0 ? "sms" : "email";
    const verificationId = `v${i}`;
    rows.push(auditRecord({ verificationId, purpose, channel, at, clientIp: `198.51.100.${i % 50}` }));
    const action = i % 4 ? "verified" : "failed";
    rows.push(auditRecord({ verificationId, purpose, channel, action, status: "x", durationMs: 2, at: new Date(at.getTime() + 5) }));
  }
  return rows;
}

/** Each statement the stats run for these filters over the two days. */
function statementsFor(filters: object, dialect: typeof SQLITE_STATS) {
  const q = normalizeStatsQuery({ from: new Date(START_MS), to: new Date(START_MS + 48 * HOUR_MS), ...filters });
  return statsStatements("otp_audit", q, dialect, rollupTable("otp_audit"));
}

async function filledLog() {
  const database = new Database(":memory:");
  const log = sqliteAuditLog({ database });
  await log.migrate();
  await log.append(rows());
  database.exec("ANALYZE");
  return { database, log };
}

describe("sqlite stats over a long range", () => {
  it("read the refusal and check indexes alone, with and without a purpose and a channel", async () => {
    const { database, log } = await filledLog();
    for (const filters of FILTERS) {
      for (const { name, sql, values } of statementsFor(filters, SQLITE_STATS)) {
        if (!READS_INDEXES_ALONE.includes(name)) continue;
        const reads = database
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...values)
          .map((row) => String((row as { detail: string }).detail))
          .filter((detail) => /^(SCAN|SEARCH) (otp_audit|g)\b/.test(detail));
        expect(reads.length, `${name} ${JSON.stringify(filters)}`).toBeGreaterThan(0);
        for (const detail of reads) expect(detail, `${name} ${JSON.stringify(filters)}`).toContain("USING COVERING INDEX");
      }
    }
    await log.close();
    database.close();
  });

  it("a table with the earlier refusals index is not migrated until migrate() replaces it", async () => {
    const { database, log } = await filledLog();
    database.exec("DROP INDEX otp_audit_checks; DROP INDEX otp_audit_refusal_sources");
    database.exec(
      "CREATE INDEX otp_audit_refusals ON otp_audit (at, purpose, channel, client_ip, identifier_masked) WHERE action IN ('failed', 'rate_limited')",
    );
    expect(await log.migrated!()).toBe(false);
    await log.migrate();
    expect(await log.migrated!()).toBe(true);
    const indexes = database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'otp_audit'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(["otp_audit_refusal_sources", "otp_audit_checks"]));
    expect(indexes).not.toContain("otp_audit_refusals");
    await log.close();
    database.close();
  });
});

const postgres = await requireService("postgres");

describe.skipIf(!postgres)("postgres stats over a long range", () => {
  let schema: FreshSchema | undefined;
  afterAll(() => schema?.drop());

  it("can walk the checks' index for the percentiles, and a table without it is not migrated until migrate() makes it", async () => {
    schema = await freshSchema("stats_plan");
    const log = postgresAuditLog({ connectionString: schema.url });
    try {
      await log.migrate();
      await log.append(rows());
      await log.pool.query("VACUUM ANALYZE otp_audit");
      const client = await log.pool.connect();
      try {
        // Two thousand rows are read faster whole: only whether the index can serve is asked.
        await client.query("SET enable_seqscan = off");
        for (const filters of FILTERS)
          for (const { name, sql, values } of statementsFor(filters, POSTGRES_STATS)) {
            if (name !== "checkLatency" && name !== "timeToApprove") continue;
            const plan = (await client.query(`EXPLAIN ${sql}`, values)).rows.map((row) => String(row["QUERY PLAN"])).join("\n");
            expect(plan, `${name} ${JSON.stringify(filters)}`).toMatch(/Index Only Scan (Backward )?using otp_audit_checks/);
          }
      } finally {
        client.release();
      }
      await log.pool.query("DROP INDEX otp_audit_checks");
      expect(await log.migrated!()).toBe(false);
      await log.migrate();
      expect(await log.migrated!()).toBe(true);
    } finally {
      await log.close();
    }
  });
});
