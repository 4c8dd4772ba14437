import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { auditRecord } from "../helpers/audit-records.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { requireService } from "../helpers/services.js";

const postgresUp = await requireService("postgres");

/** The audit table as it was before the actor column: what an upgraded service finds. */
const OLD_COLUMNS = `event_id TEXT NOT NULL, verification_id TEXT, action TEXT NOT NULL, status TEXT NOT NULL, purpose TEXT,
  channel TEXT, identifier_hash TEXT, identifier_masked TEXT, attempts INTEGER, metadata TEXT, client_ip TEXT,
  user_agent TEXT, trace_id TEXT`;

describe("the audit log's actor column on a table made before it", () => {
  it("sqlite: migrated() is false until migrate() adds it, then rows keep their actor", async () => {
    const database = new Database(":memory:");
    database.exec(`CREATE TABLE otp_audit (at INTEGER NOT NULL, ${OLD_COLUMNS}, PRIMARY KEY (at, event_id)) WITHOUT ROWID`);
    const log = sqliteAuditLog({ database, writer: "inline" });
    expect(await log.migrated()).toBe(false);
    await log.migrate();
    await log.migrate();
    expect(await log.migrated()).toBe(true);
    const row = { ...auditRecord({ purpose: "login" }), action: "unlocked" as const, actor: "key_0123456789ab" };
    await log.append([row]);
    expect((await log.query({ purpose: "login" })).rows).toEqual([row]);
    await log.close();
  });

  describe.skipIf(!postgresUp)("postgres", () => {
    let schema: FreshSchema;
    afterAll(async () => schema?.drop());

    it("migrated() is false until migrate() adds it, then rows keep their actor", async () => {
      schema = await freshSchema("actor");
      const log = postgresAuditLog({ connectionString: schema.url });
      await log.pool.query(
        `CREATE TABLE otp_audit (${OLD_COLUMNS.replace("metadata TEXT", "metadata jsonb")}, at timestamptz NOT NULL, PRIMARY KEY (at, event_id))`,
      );
      expect(await log.migrated()).toBe(false);
      await log.migrate();
      await log.migrate();
      expect(await log.migrated()).toBe(true);
      const row = { ...auditRecord({ purpose: "login" }), action: "unlocked" as const, actor: "key_0123456789ab" };
      await log.append([row]);
      expect((await log.query({ purpose: "login" })).rows).toEqual([row]);
      await log.close();
    });
  });
});
