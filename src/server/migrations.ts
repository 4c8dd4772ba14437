/**
 * The tables (or scripts) the service runs on, part by part: the ledger, the guard's counters, the
 * audit log and the saved alert rules beside it, each with where it lives. `otp-actions migrate` creates them; a production start
 * and /health/ready check them with each part's read-only `migrated()`.
 */
import type { AuditLog } from "../audit/audit-log.js";
import type { LedgerStore } from "../contracts/ledger.js";
import type { CounterStore } from "../guard/counters/counter-store.js";
import { withTimeout } from "../core/util/with-timeout.js";

export interface SchemaPart {
  /** What it is, for messages: `ledger table otp_ledger`. */
  name: string;
  /** Where it lives, safe to print (no password). */
  where: string;
  /** Which readiness check it belongs to. */
  of: "store" | "audit";
  migrate?(): Promise<void>;
  migrated?(): Promise<boolean>;
}

export interface SchemaSources {
  store: LedgerStore;
  storeWhere: string;
  counters?: CounterStore | undefined;
  auditLog?: AuditLog | undefined;
  auditWhere?: string;
  /** Where the admin's alert rules are saved: a table beside the audit log's has its part (of the audit check). */
  alertRules?: { migrate?(): Promise<void>; migrated?(): Promise<boolean> } | undefined;
}

/** Bound on each part's catalog read. */
const CHECK_TIMEOUT_MS = 2000;

export function schemaParts({ store, storeWhere, counters, auditLog, auditWhere, alertRules }: SchemaSources): SchemaPart[] {
  const parts: SchemaPart[] = [];
  const tableOf = (owner: unknown) => (owner as { tableName?: unknown }).tableName;
  const named = (what: string, owner: unknown) => {
    const table = tableOf(owner);
    return typeof table === "string" ? `${what} table ${table}` : what;
  };
  if (store.migrate || store.migrated)
    parts.push({
      name: named(store.kind === "redis" ? "ledger scripts" : "ledger", store),
      where: storeWhere,
      of: "store",
      ...bind(store),
    });
  if (counters && (counters.migrate || counters.migrated))
    parts.push({ name: named("guard counters", counters), where: storeWhere, of: "store", ...bind(counters) });
  if (auditLog && (auditLog.migrate || auditLog.migrated))
    parts.push({ name: named("audit", auditLog), where: auditWhere ?? storeWhere, of: "audit", ...bind(auditLog) });
  if (alertRules && (alertRules.migrate || alertRules.migrated))
    parts.push({ name: named("alert rules", alertRules), where: auditWhere ?? storeWhere, of: "audit", ...bind(alertRules) });
  return parts;
}

function bind(owner: { migrate?(): Promise<void>; migrated?(): Promise<boolean> }): Pick<SchemaPart, "migrate" | "migrated"> {
  return {
    ...(owner.migrate && { migrate: () => owner.migrate!() }),
    ...(owner.migrated && { migrated: () => owner.migrated!() }),
  };
}

export interface SchemaState {
  /** Parts whose tables are missing. */
  missing: SchemaPart[];
  /** Parts whose storage did not answer the check, with its error (for the log, not for answers). */
  unreachable: Array<{ part: SchemaPart; error: unknown }>;
}

/** Asks every part at once, each within its own bound. */
export async function inspectParts(parts: readonly SchemaPart[]): Promise<SchemaState> {
  const state: SchemaState = { missing: [], unreachable: [] };
  await Promise.all(
    parts.map(async (part) => {
      if (!part.migrated) return;
      try {
        if (!(await withTimeout(() => part.migrated!(), CHECK_TIMEOUT_MS, "migration check"))) state.missing.push(part);
      } catch (error) {
        state.unreachable.push({ part, error });
      }
    }),
  );
  // In the parts' order, whatever order the answers came in.
  state.missing.sort((a, b) => parts.indexOf(a) - parts.indexOf(b));
  state.unreachable.sort((a, b) => parts.indexOf(a.part) - parts.indexOf(b.part));
  return state;
}

/** Runs every part's migration in order (idempotent). */
export async function migrateParts(parts: readonly SchemaPart[]): Promise<void> {
  for (const part of parts) await part.migrate?.();
}

/** `ledger table otp_ledger and guard counters table … on postgres://…; audit table otp_audit on sqlite:…` */
export function describeMissing(parts: readonly SchemaPart[]): string {
  const byWhere = new Map<string, string[]>();
  for (const part of parts) byWhere.set(part.where, [...(byWhere.get(part.where) ?? []), part.name]);
  return [...byWhere].map(([where, names]) => `${names.join(", ")} on ${where}`).join("; ");
}
