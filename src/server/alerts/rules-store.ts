/**
 * Where the rules an admin sets are kept, so that they outlive a restart and every instance on the
 * same storage runs the same ones: a table beside a SQL audit log, or a file. With neither, the
 * service keeps them in memory and says so (`durable: false`).
 */
import type { AuditLog } from "../../audit/audit-log.js";
import type { AlertRule } from "./rules.js";

/** Rules as saved: not checked yet (a hand edit may have broken them). */
export interface SavedAlertRules {
  /** The saved document's rules, as read. */
  rules: unknown;
  /** Counts the saves, from 1. */
  version: number;
  /** When they were saved. */
  updatedAt: Date;
  /** Changes whenever what is saved changes (a save, or an edit by hand): compared every interval. */
  revision: string;
}

/** A place for the admin's alert rules. */
export interface AlertRulesStore {
  /** What and where, safe to print (no password): `table otp_audit_alert_rules on sqlite:…`. */
  readonly where: string;
  /** The saved rules, or undefined when none were saved. */
  load(): Promise<SavedAlertRules | undefined>;
  /** The saved rules' revision (undefined when none): a cheap read, to know whether to load. */
  revision(): Promise<string | undefined>;
  /** Saves the rules whole, in one write: after a failure the saved rules are the old ones. */
  save(rules: readonly AlertRule[]): Promise<SavedAlertRules>;
  /** Creates its table (with the audit log's, by `otp-actions migrate` or a start that migrates). */
  migrate?(): Promise<void>;
  /** Whether its table exists. */
  migrated?(): Promise<boolean>;
}

/** The table beside an audit table: `otp_audit_alert_rules`. */
export function alertRulesTable(auditTable: string): string {
  return `${auditTable}_alert_rules`;
}

/**
 * The store for the service's audit log: `file` when set; else a table in a SQLite or Postgres
 * audit log's database, on its own connection or pool; else none (in memory). The logs are told
 * apart by what they expose, so that neither driver is loaded to ask.
 */
export async function alertRulesStoreFor(
  auditLog: AuditLog,
  options: { file?: string | undefined; auditWhere?: string | undefined },
): Promise<AlertRulesStore | undefined> {
  if (options.file !== undefined) {
    const { fileAlertRulesStore } = await import("./rules-store-file.js");
    return fileAlertRulesStore(options.file);
  }
  const log = auditLog as Partial<{ tableName: unknown; pool: unknown; database: unknown }>;
  if (typeof log.tableName !== "string") return undefined;
  const where = options.auditWhere ?? "the audit log's database";
  if (log.pool && typeof (log.pool as { query?: unknown }).query === "function") {
    const { PostgresAlertRulesStore } = await import("./rules-store-postgres.js");
    return new PostgresAlertRulesStore({ pool: log.pool as never, table: alertRulesTable(log.tableName), where });
  }
  if (log.database && typeof (log.database as { prepare?: unknown }).prepare === "function") {
    const { SqliteAlertRulesStore } = await import("./rules-store-sqlite.js");
    return new SqliteAlertRulesStore({ database: log.database as never, table: alertRulesTable(log.tableName), where });
  }
  return undefined;
}
