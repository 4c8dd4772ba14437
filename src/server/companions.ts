/**
 * What lives beside the ledger: the audit log, on the same storage as the store the service runs,
 * through the store's own connection where one can be shared. (The guard's counters find theirs
 * by themselves: countersFor.)
 */
import { dirname, join, resolve } from "node:path";
import type { AuditLog } from "../audit/audit-log.js";
import { memoryAuditLog } from "../audit/memory.js";
import type { LedgerStore } from "../contracts/ledger.js";
import type { StoreSpec } from "./store-from-config.js";
import type { PostgresStore } from "../stores/postgres.js";

/**
 * SQLite: a file of its own beside the ledger (audit writes never hold the ledger's lock).
 * Postgres: a table on the store's pool. Redis and memory keep a bounded in-memory log: Redis is
 * no place for a compliance record; run Postgres beside it for a durable one.
 */
export async function auditLogFor(spec: StoreSpec, store: LedgerStore): Promise<AuditLog> {
  switch (spec.kind) {
    case "sqlite": {
      const { sqliteAuditLog } = await import("../audit/sqlite.js");
      return sqliteAuditLog({ path: join(dirname(resolve(spec.path)), "audit.db") });
    }
    case "postgres": {
      const { postgresAuditLog } = await import("../audit/postgres.js");
      return postgresAuditLog({ pool: (store as PostgresStore).pool });
    }
    default:
      return memoryAuditLog();
  }
}
