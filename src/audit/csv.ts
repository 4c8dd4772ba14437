import type { AuditFilter, AuditLog, AuditRecord } from "./audit-log.js";

/** The columns of an audit CSV export, in order. */
export const CSV_COLUMNS = [
  "event_id",
  "at",
  "action",
  "status",
  "verification_id",
  "purpose",
  "channel",
  "identifier",
  "identifier_hash",
  "attempts",
  "client_ip",
  "user_agent",
  "trace_id",
  "metadata",
  "actor",
] as const;

/**
 * One CSV field. Quoted when it holds a separator, quote or line break; a value a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'` so that an
 * attacker-chosen user agent cannot execute in the reader's spreadsheet.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(record: AuditRecord): string {
  return `${[
    record.eventId,
    record.at.toISOString(),
    record.action,
    record.status,
    record.verificationId,
    record.purpose,
    record.channel,
    record.identifierMasked,
    record.identifierHash,
    record.attempts,
    record.clientIp,
    record.userAgent,
    record.traceId,
    record.metadata === null ? null : JSON.stringify(record.metadata),
    record.actor ?? null,
  ]
    .map(csvField)
    .join(",")}\r\n`;
}

/** Every row that matches, newest first, one page at a time: memory stays at one page. */
export async function* auditCsv(log: Pick<AuditLog, "query">, filter: AuditFilter = {}): AsyncIterable<string> {
  yield `${CSV_COLUMNS.join(",")}\r\n`;
  let cursor = filter.cursor;
  do {
    const page = await log.query({ ...filter, limit: filter.limit ?? 500, ...(cursor !== undefined && { cursor }) });
    if (page.rows.length > 0) yield page.rows.map(csvRow).join("");
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}
