import {
  normalizeAuditFilter,
  purgeCutoffMs,
  toPage,
  type AuditFilter,
  type AuditLog,
  type AuditPage,
  type AuditRecord,
} from "./audit-log.js";
import { auditCsv } from "./csv.js";
import { normalizeStatsQuery, type AuditStats, type AuditStatsQuery } from "./stats.js";
import { statsOfRecords } from "./stats-memory.js";

/** Options of `memoryAuditLog`. */
export interface MemoryAuditLogOptions {
  /** Rows kept at most; past it the oldest tenth is forgotten. Default 10,000. */
  maxRows?: number;
  /** Where time comes from (for `purge`). Default `Date.now`. */
  now?: () => number;
}

function newestFirst(a: AuditRecord, b: AuditRecord): number {
  return b.at.getTime() - a.at.getTime() || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0);
}

/** For tests and one-process set-ups: bounded, so a busy service cannot grow it without limit. */
export class MemoryAuditLog implements AuditLog {
  #rows: AuditRecord[] = [];
  readonly #maxRows: number;
  readonly #now: () => number;

  constructor(options: MemoryAuditLogOptions = {}) {
    this.#maxRows = options.maxRows ?? 10_000;
    if (!Number.isSafeInteger(this.#maxRows) || this.#maxRows < 1)
      throw new TypeError("otp-actions: memoryAuditLog maxRows must be a positive integer");
    this.#now = options.now ?? Date.now;
  }

  /** Rows held. */
  get size(): number {
    return this.#rows.length;
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    // Kept by reference (callers hand over their records); queries return copies.
    for (const record of records) this.#rows.push(record);
    // Trimmed by a tenth of the bound at a time, so the shift is not paid on every append.
    if (this.#rows.length > this.#maxRows) this.#rows.splice(0, this.#rows.length - this.#maxRows + Math.floor(this.#maxRows / 10));
  }

  /** Rows matching `filter`, newest first, a page at a time. */
  async query(filter: AuditFilter = {}): Promise<AuditPage> {
    const f = normalizeAuditFilter(filter);
    const matches = this.#rows.filter((row) => {
      const atMs = row.at.getTime();
      if (f.identifierHashes && (row.identifierHash === null || !f.identifierHashes.includes(row.identifierHash))) return false;
      if (f.verificationId !== undefined && row.verificationId !== f.verificationId) return false;
      if (f.purpose !== undefined && row.purpose !== f.purpose) return false;
      if (f.actions && !f.actions.includes(row.action)) return false;
      if (f.status !== undefined && row.status !== f.status) return false;
      if (f.clientIp !== undefined && row.clientIp !== f.clientIp) return false;
      if (f.fromMs !== undefined && atMs < f.fromMs) return false;
      if (f.toMs !== undefined && atMs >= f.toMs) return false;
      if (f.after && (atMs > f.after.atMs || (atMs === f.after.atMs && row.eventId >= f.after.eventId))) return false;
      return true;
    });
    matches.sort(newestFirst);
    return toPage(
      matches.slice(0, f.limit + 1).map((row) => ({ ...row })),
      f.limit,
    );
  }

  /** Counts per bucket, totals, latencies and top refusal sources over the rows held. */
  async stats(query: AuditStatsQuery): Promise<AuditStats> {
    return statsOfRecords(this.#rows, normalizeStatsQuery(query));
  }

  exportCsv(filter: AuditFilter = {}): AsyncIterable<string> {
    return auditCsv(this, filter);
  }

  async purge(olderThanDays: number): Promise<number> {
    const cutoff = purgeCutoffMs(olderThanDays, this.#now());
    const before = this.#rows.length;
    const kept = this.#rows.filter((row) => row.at.getTime() >= cutoff);
    this.#rows = kept;
    return before - kept.length;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}

/** An audit log in this process's memory, bounded. */
export function memoryAuditLog(options: MemoryAuditLogOptions = {}): MemoryAuditLog {
  return new MemoryAuditLog(options);
}
