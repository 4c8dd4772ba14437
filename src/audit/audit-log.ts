/**
 * The audit log: the record compliance and support teams read. One row per thing that happened
 * to a verification. Never the code; the identifier only as a keyed hash (for lookups) and a
 * masked form (for display).
 */
import { OtpError } from "../core/errors.js";
import type { AuditStats, AuditStatsQuery } from "./stats.js";

/** The actions an audit row records. */
export const AUDIT_ACTIONS = [
  "generated",
  "delivered",
  "verified",
  "failed",
  "exhausted",
  "revoked",
  "rate_limited",
  "delivery_failed",
  "lockout_notice",
  "factor_enrolled",
  "factor_confirmed",
  "factor_verified",
  "factor_failed",
  "recovery_codes_generated",
  "recovery_code_used",
  "unlocked",
] as const;
/** One of `AUDIT_ACTIONS`. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One row of the audit log. */
export interface AuditRecord {
  /** Unique per row (UUID). */
  eventId: string;
  /** The verification it concerns; null for a refusal before one existed. */
  verificationId: string | null;
  /** What happened. */
  action: AuditAction;
  /** What came of it: an error code (`INVALID_OTP`, `RATE_LIMITED`, …) or `pending`, `approved`, `canceled`, `delivered`. */
  status: string;
  /** The purpose, when known. */
  purpose: string | null;
  /** The channel, when one was involved. */
  channel: string | null;
  /** Keyed hash of the normalised identifier, for lookups. */
  identifierHash: string | null;
  /** For display: `u***@example.com`, `+1415*****23`. */
  identifierMasked: string | null;
  /** Attempts used on the verification after this action. */
  attempts: number | null;
  /** The verification's metadata (issued rows), when recorded. */
  metadata: Record<string, unknown> | null;
  /** The caller's IP address. */
  clientIp: string | null;
  /** The caller's `User-Agent`. */
  userAgent: string | null;
  /** The trace or request id of the operation. */
  traceId: string | null;
  /** How long the check took in the engine, in milliseconds (`verified` and `failed` rows of a check). */
  durationMs: number | null;
  /** Who took an operator's action (an API key's id); null or absent for the end user's own. */
  actor?: string | null;
  /** When it happened. */
  at: Date;
}

/** Which rows a query or an export selects; every field narrows. */
export interface AuditFilter {
  /** One hash, or several (the same identifier under each key of a rotation). Indexed. */
  identifierHash?: string | readonly string[];
  /**
   * Not indexed on its own (an index on random ids would cost every insert about a third more):
   * combine it with `identifierHash` or a time range on large logs.
   */
  verificationId?: string;
  /** Rows of this purpose. */
  purpose?: string;
  /** Rows of this action, or of any of these. */
  action?: AuditAction | readonly AuditAction[];
  /** Rows with this status. */
  status?: string;
  /** Rows from this client IP address, exactly as recorded. Indexed. */
  clientIp?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Rows per page, 1-1000. Default 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of a query. */
export interface AuditPage {
  /** Newest first. */
  rows: AuditRecord[];
  /** Present when more rows match. */
  nextCursor?: string;
}

/** Where audit rows are stored and read: memory, SQLite or Postgres. */
export interface AuditLog {
  /** Stores records as one write. */
  append(records: readonly AuditRecord[]): Promise<void>;
  /** Rows matching `filter`, newest first, a page at a time. */
  query(filter?: AuditFilter): Promise<AuditPage>;
  /** CSV (header first), page by page; `Readable.from(log.exportCsv(filter))` makes it a stream. */
  exportCsv(filter?: AuditFilter): AsyncIterable<string>;
  /** Counts per time bucket, totals, latencies and the top sources of refusals over a range. */
  stats(query: AuditStatsQuery): Promise<AuditStats>;
  /** Deletes rows older than `olderThanDays`, in bounded batches; returns how many. */
  purge(olderThanDays: number): Promise<number>;
  /** Creates tables; idempotent. */
  migrate?(): Promise<void>;
  /** True when the tables `migrate()` creates exist; read-only. Rejects when the log cannot be reached. */
  migrated?(): Promise<boolean>;
  /** Releases the log's connections (a pool you passed stays open). */
  close(): Promise<void>;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Rows deleted per statement by purge: each batch is short, so writers are never held up long. */
export const PURGE_BATCH_ROWS = 1000;

/** Where the previous page stopped: the last row's time and id (rows are ordered by both). */
export interface AuditCursor {
  atMs: number;
  eventId: string;
}

/** A filter checked and put in one shape; bad input is an OtpError, never a crash. */
export interface NormalizedAuditFilter {
  identifierHashes?: string[];
  verificationId?: string;
  purpose?: string;
  actions?: AuditAction[];
  status?: string;
  clientIp?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  after?: AuditCursor;
}

function invalid(message: string): OtpError {
  return new OtpError("INVALID_REQUEST", { message });
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 256) throw invalid(`${name} must be a string of 1-256 characters.`);
  return value;
}

// Years 0 to 9999: every log stores these, where a JavaScript Date reaches far past what
// Postgres accepts (a query would fail there as a database error instead of a bad filter).
const EARLIEST_MS = Date.parse("0000-01-01T00:00:00.000Z");
const LATEST_MS = Date.parse("9999-12-31T23:59:59.999Z");

function inTimeRange(ms: number): boolean {
  return Number.isInteger(ms) && ms >= EARLIEST_MS && ms <= LATEST_MS;
}

function optionalTime(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : NaN;
  if (!inTimeRange(ms)) throw invalid(`${name} must be a valid Date from year 0 to 9999.`);
  return ms;
}

export function normalizeAuditFilter(filter: AuditFilter = {}): NormalizedAuditFilter {
  if (typeof filter !== "object" || filter === null) throw invalid("The filter must be an object.");
  const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw invalid(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  const normalized: NormalizedAuditFilter = { limit };
  if (filter.identifierHash !== undefined) {
    const hashes = typeof filter.identifierHash === "string" ? [filter.identifierHash] : [...filter.identifierHash];
    if (hashes.length === 0 || hashes.length > 32) throw invalid("identifierHash must name 1-32 hashes.");
    normalized.identifierHashes = hashes.map((hash) => optionalString(hash, "identifierHash")!);
  }
  if (filter.action !== undefined) {
    const actions = typeof filter.action === "string" ? [filter.action] : [...filter.action];
    if (actions.length === 0 || !actions.every((action) => (AUDIT_ACTIONS as readonly string[]).includes(action))) {
      throw invalid(`action must be one or more of ${AUDIT_ACTIONS.join(", ")}.`);
    }
    normalized.actions = actions;
  }
  const verificationId = optionalString(filter.verificationId, "verificationId");
  const purpose = optionalString(filter.purpose, "purpose");
  const status = optionalString(filter.status, "status");
  const clientIp = optionalString(filter.clientIp, "clientIp");
  const fromMs = optionalTime(filter.from, "from");
  const toMs = optionalTime(filter.to, "to");
  if (verificationId !== undefined) normalized.verificationId = verificationId;
  if (purpose !== undefined) normalized.purpose = purpose;
  if (status !== undefined) normalized.status = status;
  if (clientIp !== undefined) normalized.clientIp = clientIp;
  if (fromMs !== undefined) normalized.fromMs = fromMs;
  if (toMs !== undefined) normalized.toMs = toMs;
  if (filter.cursor !== undefined) normalized.after = decodeCursor(filter.cursor);
  return normalized;
}

export function encodeCursor(record: AuditRecord): string {
  return Buffer.from(JSON.stringify([record.at.getTime(), record.eventId])).toString("base64url");
}

export function decodeCursor(cursor: unknown): AuditCursor {
  if (typeof cursor !== "string" || cursor.length > 200) throw invalid("cursor is not valid.");
  try {
    const [atMs, eventId] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof atMs === "number" && inTimeRange(atMs) && typeof eventId === "string" && eventId.length <= 64) return { atMs, eventId };
  } catch {
    // Falls through to the one error below.
  }
  throw invalid("cursor is not valid.");
}

/** Builds the page from up to `limit + 1` rows: the extra row only says that more exist. */
export function toPage(rows: AuditRecord[], limit: number): AuditPage {
  if (rows.length <= limit) return { rows };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(page[page.length - 1]!) };
}

export function purgeCutoffMs(olderThanDays: number, nowMs: number): number {
  if (typeof olderThanDays !== "number" || !Number.isFinite(olderThanDays) || olderThanDays < 0) {
    throw new TypeError("otp-actions: purge olderThanDays must be a non-negative number");
  }
  return nowMs - olderThanDays * 86_400_000;
}
