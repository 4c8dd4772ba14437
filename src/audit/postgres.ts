import pg from "pg";
import { migratePostgres } from "../stores/pg-migrate.js";
import { tableNameOption, timeoutOption, withTimeout } from "../stores/timeout.js";
import { normalizeAuditFilter, PURGE_BATCH_ROWS, purgeCutoffMs, toPage, type AuditFilter, type AuditLog, type AuditPage, type AuditRecord } from "./audit-log.js";
import { auditCsv } from "./csv.js";
import { AUDIT_COLUMNS, rowToRecord, selectSql, type AuditRow } from "./sql.js";

export interface PostgresAuditLogOptions {
  /** A pool you built (e.g. `postgresStore(...).pool`); `close()` then leaves it open. */
  pool?: pg.Pool;
  connectionString?: string;
  /** Default `otp_audit`. */
  tableName?: string;
  /** Bound on each statement. Default 5,000 ms (batches are larger than a check). */
  timeoutMs?: number;
  now?: () => number;
}

/** Column types as the batch carries them: `at` in epoch milliseconds, metadata as a JSON value. */
const PG_TYPES = ["text", "text", "text", "text", "text", "text", "text", "text", "int4", "jsonb", "text", "text", "text", "int8"];
const BATCH_COLUMNS = AUDIT_COLUMNS.map((column, index) => `${column} ${PG_TYPES[index]}`).join(", ");
const BATCH_SELECT = AUDIT_COLUMNS.map((column) => (column === "at" ? "timestamptz 'epoch' + at * interval '1 millisecond'" : column)).join(", ");

/** One record as the batch carries it: keys are the columns (AUDIT_COLUMNS). */
function jsonRow(record: AuditRecord): Record<(typeof AUDIT_COLUMNS)[number], unknown> {
  return {
    event_id: record.eventId,
    verification_id: record.verificationId,
    action: record.action,
    status: record.status,
    purpose: record.purpose,
    channel: record.channel,
    identifier_hash: record.identifierHash,
    identifier_masked: record.identifierMasked,
    attempts: record.attempts,
    metadata: record.metadata,
    client_ip: record.clientIp,
    user_agent: record.userAgent,
    trace_id: record.traceId,
    at: record.at.getTime(),
  };
}

/** The audit log in Postgres: one INSERT per batch (a JSON recordset), jsonb metadata. */
export class PostgresAuditLog implements AuditLog {
  readonly pool: pg.Pool;
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #insertSql: string;

  constructor(options: PostgresAuditLogOptions) {
    this.tableName = tableNameOption("postgresAuditLog", options.tableName, "otp_audit");
    this.#insertSql = `INSERT INTO ${this.tableName} (${AUDIT_COLUMNS.join(", ")})
       SELECT ${BATCH_SELECT} FROM json_to_recordset($1::json) AS batch(${BATCH_COLUMNS})
       ON CONFLICT (at, event_id) DO NOTHING`;
    this.#timeoutMs = timeoutOption("postgresAuditLog", options.timeoutMs, 5000);
    this.#now = options.now ?? Date.now;
    if (options.pool) {
      this.pool = options.pool;
      this.#owned = false;
    } else if (typeof options.connectionString === "string") {
      this.pool = new pg.Pool({ connectionString: options.connectionString, connectionTimeoutMillis: this.#timeoutMs, query_timeout: this.#timeoutMs, max: 4 });
      this.#owned = true;
    } else {
      throw new TypeError("otp-actions: postgresAuditLog needs `pool` or `connectionString`");
    }
    this.pool.on("error", () => undefined);
  }

  async migrate(): Promise<void> {
    const t = this.tableName;
    const client = await withTimeout(this.pool.connect(), this.#timeoutMs, "postgres");
    await migratePostgres(client, t, [
      `CREATE TABLE IF NOT EXISTS ${t} (
        event_id text NOT NULL,
        verification_id text,
        action text NOT NULL,
        status text NOT NULL,
        purpose text,
        channel text,
        identifier_hash text,
        identifier_masked text,
        attempts integer,
        metadata jsonb,
        client_ip text,
        user_agent text,
        trace_id text,
        at timestamptz NOT NULL,
        -- Time first: the index grows at its right edge and serves newest-first paging,
        -- time ranges and retention, so no separate time index is kept up.
        PRIMARY KEY (at, event_id)
      )`,
      `CREATE INDEX IF NOT EXISTS ${t}_identifier ON ${t} (identifier_hash, at DESC)`,
    ]);
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    // The batch as one JSON text parameter: one native stringify on this side, where per-value
    // array encoding (and Date formatting) cost several microseconds a row; the server unpacks it.
    await this.#query(this.#insertSql, [JSON.stringify(records.map(jsonRow))]);
  }

  async query(filter: AuditFilter = {}): Promise<AuditPage> {
    const f = normalizeAuditFilter(filter);
    const values: unknown[] = [];
    const sql = selectSql(this.tableName, f, (value) => `$${values.push(value)}`, (ms) => new Date(ms));
    const { rows } = await this.#query<AuditRow>(sql, values);
    return toPage(rows.map(rowToRecord), f.limit);
  }

  exportCsv(filter: AuditFilter = {}): AsyncIterable<string> {
    return auditCsv(this, filter);
  }

  async purge(olderThanDays: number): Promise<number> {
    const cutoff = new Date(purgeCutoffMs(olderThanDays, this.#now()));
    const t = this.tableName;
    let deleted = 0;
    for (;;) {
      const result = await this.#query(`DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM ${t} WHERE at < $1 LIMIT ${PURGE_BATCH_ROWS})`, [cutoff]);
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < PURGE_BATCH_ROWS) return deleted;
    }
  }

  async close(): Promise<void> {
    if (this.#owned && !this.pool.ended) await this.pool.end();
  }

  #query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return withTimeout(this.pool.query<R>(text, values), this.#timeoutMs, "postgres");
  }
}

export function postgresAuditLog(options: PostgresAuditLogOptions): PostgresAuditLog {
  return new PostgresAuditLog(options);
}
