/**
 * What lives beside the ledger: the guard's counters and the audit log, on the same storage as the
 * store the service runs, through the store's own connection where one can be shared.
 */
import { dirname, join, resolve } from "node:path";
import type { Redis } from "ioredis";
import type { AuditLog } from "../audit/audit-log.js";
import { memoryAuditLog } from "../audit/memory.js";
import type { Backend } from "../guard/backend.js";
import type { LedgerStore } from "../stores/store.js";
import type { StoreSpec } from "./store-from-config.js";
import type { PostgresStore } from "../stores/postgres.js";
import type { RedisStore } from "../stores/redis.js";
import type { SqliteStore } from "../stores/sqlite.js";

/** The guard's backend for a store built by storeFromConfig (or one of the same kinds). */
export function guardBackendFor(store: LedgerStore): Backend {
  switch (store.kind) {
    case "sqlite":
      return { kind: "sqlite", database: (store as SqliteStore).database };
    case "redis":
      // storeFromConfig builds a single-node client from OTP_STORE; a Cluster is a library choice.
      return { kind: "redis", client: (store as RedisStore).client as Redis };
    case "postgres":
      return { kind: "postgres", pool: (store as PostgresStore).pool };
    default:
      return { kind: "memory" };
  }
}

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
