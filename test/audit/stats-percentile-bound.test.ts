/**
 * Percentiles over a long range are taken over the newest PERCENTILE_ROWS values only, the same
 * in every log: 1,000 old checks far slower and slower to approve than the newest 20,000 leave
 * the answer as the newest alone give it.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditLog, AuditRecord } from "../../src/audit/audit-log.js";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { PERCENTILE_ROWS } from "../../src/audit/stats.js";
import Database from "better-sqlite3";
import { auditRecord } from "../helpers/audit-records.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { requireService } from "../helpers/services.js";

const OLD = 1000;
const T0 = Math.floor((Date.now() - 3 * 86_400_000) / 3_600_000) * 3_600_000 + 3_600_000;

/** Verified rows 10 ms apart: the OLD oldest took 100 s and 5,000 s to approve, the rest 1..N ms and 1..N s. */
function rows(): AuditRecord[] {
  return Array.from({ length: OLD + PERCENTILE_ROWS }, (_, i) => {
    const at = T0 + i * 10;
    const value = i < OLD ? null : i - OLD + 1;
    const verificationId = randomUUID();
    return [
      auditRecord({ verificationId, at: new Date(at - (value ?? 5000) * 1000) }),
      auditRecord({ verificationId, action: "verified", status: "approved", durationMs: value ?? 100_000, at: new Date(at) }),
    ];
  }).flat();
}

async function percentilesOfTheNewest(log: AuditLog): Promise<void> {
  await log.migrate?.();
  const all = rows();
  for (let i = 0; i < all.length; i += 5000) await log.append(all.slice(i, i + 5000));
  const stats = await log.stats({ from: new Date(T0), to: new Date(T0 + 3_600_000) });
  // Nearest rank over 1..20,000: the 10,000th and the 19,800th.
  expect(stats.checkLatencyMs).toEqual({ p50: 10_000, p99: 19_800 });
  expect(stats.timeToApproveSeconds).toEqual({ p50: 10_000, p99: 19_800 });
  expect(stats.totals.approved).toBe(OLD + PERCENTILE_ROWS);
}

describe("percentiles over the newest values", () => {
  it("memory", async () => percentilesOfTheNewest(memoryAuditLog({ maxRows: 100_000 })));

  it("sqlite", async () => {
    const database = new Database(":memory:");
    await percentilesOfTheNewest(sqliteAuditLog({ database }));
    database.close();
  });
});

const available = await requireService("postgres");

describe.skipIf(!available)("postgres percentiles over the newest values", () => {
  let schema: FreshSchema | undefined;
  afterAll(() => schema?.drop());

  it("postgres", async () => {
    schema = await freshSchema("audit_percentiles");
    const log = postgresAuditLog({ connectionString: schema.url, timeoutMs: 30_000 });
    try {
      await percentilesOfTheNewest(log);
    } finally {
      await log.close();
    }
  });
});
