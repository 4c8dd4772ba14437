import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { runAuditLogConformance } from "../../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "otp-audit-"));

runAuditLogConformance("sqlite", async () => ({
  log: sqliteAuditLog({ path: join(dir, "audit.db") }),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
}));
