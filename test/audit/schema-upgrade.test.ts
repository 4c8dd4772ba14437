/**
 * A table made by the schema before check durations were kept: `migrated()` says it is not up to
 * date, `migrate()` adds the column and the new indexes, old rows read with no duration, new
 * rows keep theirs, and the stats answer over both.
 */
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditLog } from "../../src/audit/audit-log.js";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { auditRecord } from "../helpers/audit-records.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { requireService } from "../helpers/services.js";

const OLD_COLUMNS = `event_id TEXT NOT NULL, verification_id TEXT, action TEXT NOT NULL, status TEXT NOT NULL, purpose TEXT,
  channel TEXT, identifier_hash TEXT, identifier_masked TEXT, attempts INTEGER, metadata %JSON%, client_ip TEXT, user_agent TEXT,
  trace_id TEXT, at %TIME% NOT NULL, PRIMARY KEY (at, event_id)`;
const OLD_ROW = `'old-1', 'v-old', 'verified', 'approved', 'login', 'email', 'h', 'u***@example.com', 1, NULL, NULL, NULL, NULL`;

async function upgradesInPlace(log: AuditLog, oldRowAt: Date): Promise<void> {
  expect(await log.migrated!()).toBe(false);
  await log.migrate!();
  expect(await log.migrated!()).toBe(true);
  await log.migrate!();
  const fresh = auditRecord({ action: "verified", status: "approved", durationMs: 4.5, at: new Date(oldRowAt.getTime() + 1000) });
  await log.append([fresh]);
  const rows = (await log.query({ purpose: "login" })).rows;
  expect(rows.map((row) => [row.eventId, row.durationMs])).toEqual([
    [fresh.eventId, 4.5],
    ["old-1", null],
  ]);
  const stats = await log.stats({ from: new Date(oldRowAt.getTime() - 60_000), to: new Date(oldRowAt.getTime() + 60_000) });
  expect(stats.totals.approved).toBe(2);
  expect(stats.checkLatencyMs).toEqual({ p50: 4.5, p99: 4.5 });
}

describe("sqlite audit table from the previous schema", () => {
  it("gains duration_ms on migrate(), and migrated() requires it", async () => {
    const database = new Database(":memory:");
    const at = new Date(Date.now() - 3_600_000);
    database.exec(`CREATE TABLE otp_audit (${OLD_COLUMNS.replace("%JSON%", "TEXT").replace("%TIME%", "INTEGER")}) WITHOUT ROWID`);
    database.exec(`INSERT INTO otp_audit VALUES (${OLD_ROW}, ${at.getTime()})`);
    const log = sqliteAuditLog({ database });
    await upgradesInPlace(log, at);
    const indexes = database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'otp_audit'").pluck().all();
    expect(indexes).toEqual(
      expect.arrayContaining(["otp_audit_client_ip", "otp_audit_generated", "otp_audit_refusal_sources", "otp_audit_checks"]),
    );
    await log.close();
    database.close();
  });
});

const available = await requireService("postgres");

describe.skipIf(!available)("postgres audit table from the previous schema", () => {
  let schema: FreshSchema | undefined;
  afterAll(() => schema?.drop());

  it("gains duration_ms on migrate(), and migrated() requires it", async () => {
    schema = await freshSchema("audit_upgrade");
    const log = postgresAuditLog({ connectionString: schema.url });
    const at = new Date(Date.now() - 3_600_000);
    await log.pool.query(`CREATE TABLE otp_audit (${OLD_COLUMNS.replace("%JSON%", "jsonb").replace("%TIME%", "timestamptz")})`);
    await log.pool.query(`INSERT INTO otp_audit VALUES (${OLD_ROW}, $1)`, [at]);
    try {
      await upgradesInPlace(log, at);
    } finally {
      await log.close();
    }
  });
});
