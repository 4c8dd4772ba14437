/**
 * Stats over a large SQLite log run on a reader thread when the log opened its file: the event
 * loop keeps turning meanwhile, where on the calling thread it stops for the whole query.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { AUDIT_COLUMNS, recordValues } from "../../src/audit/sql.js";
import { auditRecord } from "../helpers/audit-records.js";

const dir = mkdtempSync(join(tmpdir(), "otp-audit-stats-thread-"));
const path = join(dir, "audit.db");
const DAY_MS = 86_400_000;
const endMs = Date.now();
const range = { from: new Date(endMs - 30 * DAY_MS), to: new Date(endMs + 1) };

/** The longest the event loop went without a turn while `work` ran, and how long `work` took. */
async function longestStall(work: () => Promise<unknown>): Promise<{ stallMs: number; tookMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  const startedAt = performance.now();
  await work();
  const tookMs = performance.now() - startedAt;
  clearInterval(timer);
  stallMs = Math.max(stallMs, performance.now() - last);
  return { stallMs, tookMs };
}

beforeAll(async () => {
  const setup = sqliteAuditLog({ path, writer: "inline" });
  await setup.migrate();
  await setup.close();
  // Filled directly, in one transaction: 120,000 rows over 30 days.
  const database = new Database(path);
  const insert = database.prepare(
    `INSERT INTO otp_audit (${AUDIT_COLUMNS.join(", ")}) VALUES (${AUDIT_COLUMNS.map(() => "?").join(", ")})`,
  );
  const actions = ["generated", "delivered", "verified", "failed", "rate_limited"] as const;
  database.transaction(() => {
    for (let i = 0; i < 120_000; i++) {
      const action = actions[i % actions.length]!;
      const row = auditRecord({
        verificationId: `v${Math.floor(i / 5)}`,
        action,
        clientIp: `198.51.100.${i % 200}`,
        identifierMasked: `+1415*****${i % 100}`,
        durationMs: action === "verified" || action === "failed" ? (i % 97) / 10 : null,
        at: new Date(endMs - 30 * DAY_MS + i * 21_600),
      });
      insert.run(recordValues(row));
    }
  })();
  database.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sqlite audit stats", () => {
  it("keep the event loop turning on the worker, where the calling thread stalls for the query", async () => {
    const inline = sqliteAuditLog({ path, writer: "inline" });
    const worker = sqliteAuditLog({ path });
    try {
      const onThread = await longestStall(() => inline.stats(range));
      const onWorker = await longestStall(() => worker.stats(range));
      expect(await worker.stats(range)).toEqual(await inline.stats(range));
      // The calling thread gives the loop no turn while the query runs.
      expect(onThread.stallMs).toBeGreaterThan(onThread.tookMs * 0.8);
      // On the worker the loop turns; a loaded machine can still delay a turn, so the bound is a share.
      expect(onWorker.stallMs).toBeLessThan(onWorker.tookMs / 2);
    } finally {
      await inline.close();
      await worker.close();
    }
  }, 60_000);
});
