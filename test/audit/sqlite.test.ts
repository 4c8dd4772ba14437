import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { runAuditLogConformance } from "../../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "otp-audit-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

runAuditLogConformance("sqlite (worker writer)", async () => ({ log: sqliteAuditLog({ path: join(dir, "audit.db") }) }));

// The same log writing on the calling thread, on a connection the caller opened.
runAuditLogConformance("sqlite (inline writer, caller's connection)", async () => {
  const database = new Database(join(dir, "inline.db"));
  return { log: sqliteAuditLog({ database, tableName: "audit_inline" }), teardown: async () => void database.close() };
});
