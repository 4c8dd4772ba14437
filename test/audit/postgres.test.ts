import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/audit-log.js";
import { postgresAuditLog, type PostgresAuditLog } from "../../src/audit/postgres.js";
import { StoreTimeoutError } from "../../src/core/util/with-timeout.js";
import { runAuditLogConformance } from "../../src/testing/index.js";
import { auditRecord } from "../helpers/audit-records.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";

const available = await requireService("postgres");
const tableName = `otp_audit_conf_${process.pid}`;

runAuditLogConformance(
  "postgres",
  async () => {
    const log: PostgresAuditLog = postgresAuditLog({ connectionString: POSTGRES_URL, tableName });
    return {
      log,
      teardown: async () => {
        const cleanup = postgresAuditLog({ connectionString: POSTGRES_URL, tableName });
        await cleanup.pool.query(`DROP TABLE IF EXISTS ${tableName}`);
        await cleanup.close();
      },
    };
  },
  { skip: !available },
);

describe.skipIf(!available)("postgres audit log writes", () => {
  const table = `otp_audit_writes_${process.pid}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const log = postgresAuditLog({ pool, tableName: table, timeoutMs: 300 });
  const row = (i: number): AuditRecord => auditRecord({ identifierHash: `h${i}`, at: new Date(Date.now() - i) });
  const stored = async () => (await pool.query<{ event_id: string }>(`SELECT event_id FROM ${table}`)).rows.map((r) => r.event_id).sort();

  // The short timeout is for the writes under test; creating the table and its indexes is not one.
  beforeAll(() => postgresAuditLog({ pool, tableName: table }).migrate());
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it("a batch sent again after a write whose answer was lost adds only the rows not there yet", async () => {
    await pool.query(`TRUNCATE ${table}`);
    const first = [row(1), row(2)];
    await log.append(first);
    const again = [...first, row(3)];
    await log.append(again);
    expect(await stored()).toEqual(again.map((r) => r.eventId).sort());
  });

  it("a write held past its bound rejects in time and closes its connection instead of reusing it mid-COPY", async () => {
    await pool.query(`TRUNCATE ${table}`);
    const locker = new pg.Client({ connectionString: POSTGRES_URL });
    await locker.connect();
    await locker.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const batch = [row(1), row(2)];
    const startedAt = Date.now();
    const error = await log.append(batch).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(pool.totalCount).toBe(0);
    await locker.query("COMMIT");
    await locker.end();
    // The recorder sends the batch again: it lands once.
    await log.append(batch);
    expect(await stored()).toEqual(batch.map((r) => r.eventId).sort());
  });
});
