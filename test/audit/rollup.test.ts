/**
 * The hourly rollup behind the audit stats of the SQL logs: a batch written twice is counted
 * once, purge takes its rows' counts out, and a table made before the rollup gains its past on
 * migrate() (which migrated() then requires).
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditLog, AuditRecord } from "../../src/audit/audit-log.js";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { auditRecord } from "../helpers/audit-records.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { requireService } from "../helpers/services.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// Ten days back, on the hour; purge's clock is set so its cutoff falls half an hour into hour 3.
const T0 = Math.floor((Date.now() - 10 * DAY_MS) / HOUR_MS) * HOUR_MS;
const NOW = T0 + 3 * HOUR_MS + 30 * 60_000 + DAY_MS;
const zero = { sent: 0, delivered: 0, deliveryFailed: 0, approved: 0, failedChecks: 0, lockouts: 0, rateLimited: 0 };
const full = { ...zero, sent: 1, approved: 1, rateLimited: 1, failedChecks: 1 };

/** Six hours, each with a send, an approval and a refusal by limit at :20, and a failed check at :50. */
function sixHours(): AuditRecord[] {
  return Array.from({ length: 6 }, (_, h) => {
    const at = (minutes: number) => new Date(T0 + h * HOUR_MS + minutes * 60_000);
    return [
      auditRecord({ at: at(20) }),
      auditRecord({ action: "verified", status: "approved", at: at(20) }),
      auditRecord({ action: "rate_limited", status: "RATE_LIMITED", metadata: { limit: "sends" }, at: at(20) }),
      auditRecord({ action: "failed", status: "INVALID_OTP", at: at(50) }),
    ];
  }).flat();
}

const range = { from: new Date(T0), to: new Date(T0 + 6 * HOUR_MS), bucket: "hour" as const };
const series = async (log: AuditLog) => (await log.stats(range)).series.map(({ at: _, ...counts }) => counts);

async function keepsCountsWithTheRows(log: AuditLog, dropRollup: () => Promise<void>): Promise<void> {
  await log.migrate!();
  const rows = sixHours();
  await log.append(rows);
  await log.append(rows);
  expect(await series(log)).toEqual(Array(6).fill(full));

  // Hours 0-2 go, and hour 3's rows at :20; its failed check at :50 stays.
  expect(await log.purge!(1)).toBe(15);
  expect(await series(log)).toEqual([zero, zero, zero, { ...zero, failedChecks: 1 }, full, full]);
  expect((await log.stats(range)).rateLimitedByLimit).toEqual([{ limit: "sends", count: 2 }]);

  await dropRollup();
  expect(await log.migrated!()).toBe(false);
  await log.migrate!();
  expect(await log.migrated!()).toBe(true);
  await log.migrate!();
  expect(await series(log)).toEqual([zero, zero, zero, { ...zero, failedChecks: 1 }, full, full]);
  await log.append([auditRecord({ at: new Date(T0 + 5 * HOUR_MS + 1000) })]);
  expect((await series(log))[5]).toEqual({ ...full, sent: 2 });
}

describe("sqlite audit rollup", () => {
  const dir = mkdtempSync(join(tmpdir(), "otp-rollup-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("counts a resent batch once, follows purge, and is backfilled by migrate()", async () => {
    const path = join(dir, "audit.db");
    const log = sqliteAuditLog({ path, now: () => NOW });
    const own = new Database(path);
    try {
      await keepsCountsWithTheRows(log, async () => {
        own.exec("DROP TABLE otp_audit_hourly; DROP TRIGGER otp_audit_rollup_add; DROP TRIGGER otp_audit_rollup_remove");
      });
    } finally {
      own.close();
      await log.close();
    }
  });
});

const available = await requireService("postgres");

describe.skipIf(!available)("postgres audit rollup", () => {
  let schema: FreshSchema | undefined;
  afterAll(() => schema?.drop());

  it("counts a resent batch once, follows purge, and is backfilled by migrate()", async () => {
    schema = await freshSchema("audit_rollup");
    const log = postgresAuditLog({ connectionString: schema.url, now: () => NOW });
    try {
      await keepsCountsWithTheRows(log, async () => {
        await log.pool.query(
          "DROP TABLE otp_audit_hourly; DROP TRIGGER otp_audit_rollup_add ON otp_audit; DROP TRIGGER otp_audit_rollup_remove ON otp_audit",
        );
      });
    } finally {
      await log.close();
    }
  });
});
