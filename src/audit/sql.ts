/**
 * SQL shared by the SQLite and Postgres audit logs: one column list, one WHERE builder, one row
 * mapper, so both answer a filter the same way.
 */
import type { AuditAction, AuditRecord, NormalizedAuditFilter } from "./audit-log.js";

export const AUDIT_COLUMNS = [
  "event_id",
  "verification_id",
  "action",
  "status",
  "purpose",
  "channel",
  "identifier_hash",
  "identifier_masked",
  "attempts",
  "metadata",
  "client_ip",
  "user_agent",
  "trace_id",
  "duration_ms",
  "at",
  "actor",
] as const;

export interface AuditRow {
  event_id: string;
  verification_id: string | null;
  action: string;
  status: string;
  purpose: string | null;
  channel: string | null;
  identifier_hash: string | null;
  identifier_masked: string | null;
  attempts: number | null;
  metadata: string | Record<string, unknown> | null;
  client_ip: string | null;
  user_agent: string | null;
  trace_id: string | null;
  duration_ms: number | string | null;
  at: number | string | Date;
  actor: string | null;
}

/**
 * Text as SQLite keeps it: an unpaired surrogate would be stored as bytes that are not UTF-8 and
 * read back as three U+FFFD; it becomes one, as in Postgres. (Metadata needs nothing: its JSON
 * text writes such a character as an escape.) Cheap for the usual string: V8 answers at once
 * for one-byte strings.
 */
function wellFormed(value: string | null): string | null {
  return value === null || value.isWellFormed() ? value : value.toWellFormed();
}

/** The values of one record in AUDIT_COLUMNS order, as SQLite stores them (epoch ms, JSON text). */
export function recordValues(record: AuditRecord): unknown[] {
  return [
    wellFormed(record.eventId),
    wellFormed(record.verificationId),
    wellFormed(record.action),
    wellFormed(record.status),
    wellFormed(record.purpose),
    wellFormed(record.channel),
    wellFormed(record.identifierHash),
    wellFormed(record.identifierMasked),
    record.attempts,
    record.metadata === null ? null : JSON.stringify(record.metadata),
    wellFormed(record.clientIp),
    wellFormed(record.userAgent),
    wellFormed(record.traceId),
    record.durationMs,
    record.at.getTime(),
    wellFormed(record.actor ?? null),
  ];
}

export function rowToRecord(row: AuditRow): AuditRecord {
  return {
    eventId: row.event_id,
    verificationId: row.verification_id,
    action: row.action as AuditAction,
    status: row.status,
    purpose: row.purpose,
    channel: row.channel,
    identifierHash: row.identifier_hash,
    identifierMasked: row.identifier_masked,
    attempts: row.attempts === null ? null : Number(row.attempts),
    metadata:
      row.metadata === null
        ? null
        : typeof row.metadata === "string"
          ? (JSON.parse(row.metadata) as Record<string, unknown>)
          : row.metadata,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    traceId: row.trace_id,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    at: row.at instanceof Date ? row.at : new Date(Number(row.at)),
    // Only an operator's action has one: the user's own rows read back as they were written.
    ...(row.actor !== null && { actor: row.actor }),
  };
}

/**
 * `WHERE …` for a filter, newest first, one row more than the page (to know if another exists).
 * `param` stores a value and returns its placeholder; `time` turns milliseconds into the column's type.
 */
export function selectSql(
  table: string,
  filter: NormalizedAuditFilter,
  param: (value: unknown) => string,
  time: (ms: number) => unknown,
): string {
  const where: string[] = [];
  if (filter.identifierHashes) where.push(`identifier_hash IN (${filter.identifierHashes.map(param).join(", ")})`);
  if (filter.verificationId !== undefined) where.push(`verification_id = ${param(filter.verificationId)}`);
  if (filter.purpose !== undefined) where.push(`purpose = ${param(filter.purpose)}`);
  if (filter.actions) where.push(`action IN (${filter.actions.map(param).join(", ")})`);
  if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
  if (filter.clientIp !== undefined) where.push(`client_ip = ${param(filter.clientIp)}`);
  if (filter.fromMs !== undefined) where.push(`at >= ${param(time(filter.fromMs))}`);
  if (filter.toMs !== undefined) where.push(`at < ${param(time(filter.toMs))}`);
  if (filter.after) {
    const at = time(filter.after.atMs);
    where.push(`(at < ${param(at)} OR (at = ${param(at)} AND event_id < ${param(filter.after.eventId)}))`);
  }
  return `SELECT ${AUDIT_COLUMNS.join(", ")} FROM ${table}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
          ORDER BY at DESC, event_id DESC LIMIT ${param(filter.limit + 1)}`;
}
