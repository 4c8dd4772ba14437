/**
 * What lives beside the ledger: the audit log, on the same storage as the store the service runs,
 * through the store's own connection where one can be shared, or where OTP_AUDIT_URL puts it.
 * (The guard's counters find theirs by themselves: countersFor.)
 */
import { dirname, join, resolve } from "node:path";
import type { AuditLog } from "../audit/audit-log.js";
import { memoryAuditLog } from "../audit/memory.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { describeStore, parseStoreSpec, type StoreSpec } from "./store-from-config.js";
import type { PostgresStore } from "../stores/postgres.js";

/** OTP_AUDIT_URL: an audit log of its own, on any store. */
export type AuditSpec = Extract<StoreSpec, { kind: "sqlite" } | { kind: "postgres" }>;

/** Parses an OTP_AUDIT_URL value; throws an Error whose message says what is wrong (never the URL's password). */
export function parseAuditSpec(value: string): AuditSpec {
  let spec: StoreSpec;
  try {
    spec = parseStoreSpec(value);
  } catch {
    throw new Error("must be sqlite:<path> or postgres://…");
  }
  if (spec.kind === "sqlite" || spec.kind === "postgres") return spec;
  throw new Error(`must be sqlite:<path> or postgres://…, not ${spec.kind}: the audit log is a durable record`);
}

/**
 * With OTP_AUDIT_URL, there. Otherwise, SQLite: a file of its own beside the ledger (audit
 * writes never hold the ledger's lock). Postgres: a table on the store's pool. Redis and memory
 * keep a bounded in-memory log, lost on restart: Redis is no place for a compliance record; set
 * OTP_AUDIT_URL for a durable one.
 */
export async function auditLogFor(spec: StoreSpec, store: LedgerStore, audit?: AuditSpec): Promise<AuditLog> {
  const where = audit ?? spec;
  switch (where.kind) {
    case "sqlite": {
      const { sqliteAuditLog } = await import("../audit/sqlite.js");
      const path = audit ? resolve(where.path) : join(dirname(resolve(where.path)), "audit.db");
      return sqliteAuditLog({ path });
    }
    case "postgres": {
      const { postgresAuditLog } = await import("../audit/postgres.js");
      return audit
        ? postgresAuditLog({ connectionString: where.connectionString })
        : postgresAuditLog({ pool: (store as PostgresStore).pool });
    }
    default:
      return memoryAuditLog();
  }
}

/** Where the audit log lives, safe to print; undefined when it is kept in memory. */
export function describeAuditLog(spec: StoreSpec, audit?: AuditSpec): string | undefined {
  if (audit) return describeStore(audit);
  if (spec.kind === "sqlite") return describeStore({ kind: "sqlite", path: join(dirname(spec.path), "audit.db") });
  if (spec.kind === "postgres") return describeStore(spec);
  return undefined;
}
