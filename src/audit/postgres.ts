import { finished } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { boundedStatement, inTransaction, migratePostgres, poolFromOptions, withClient } from "../drivers/pg-work.js";
import { timeoutOption } from "../core/util/option-checks.js";
import { tableNameOption } from "../core/util/sql-identifier.js";
import { postgresColumnExists, postgresTableExists } from "../drivers/table-exists.js";
import { withTimeout } from "../core/util/with-timeout.js";
import {
  normalizeAuditFilter,
  PURGE_BATCH_ROWS,
  purgeCutoffMs,
  toPage,
  type AuditFilter,
  type AuditLog,
  type AuditPage,
  type AuditRecord,
} from "./audit-log.js";
import { normalizeStatsQuery, type AuditStats, type AuditStatsQuery } from "./stats.js";
import { POSTGRES_STATS } from "./postgres-stats-dialect.js";
import { statsFromSql, statsStatements, type StatsResults } from "./stats-sql.js";
import { postgresRollupStatements } from "./postgres-rollup.js";
import { rollupTable } from "./rollup-sql.js";
import { copyText } from "./copy-text.js";
import { auditCsv } from "./csv.js";
import { AUDIT_COLUMNS, rowToRecord, selectSql, type AuditRow } from "./sql.js";

/** Options of `postgresAuditLog`: a pool or a connection string. */
export interface PostgresAuditLogOptions {
  /** A pool you built (e.g. `postgresStore(...).pool`); `close()` then leaves it open. */
  pool?: pg.Pool;
  /** Opens a pool of its own, closed by `close()`. */
  connectionString?: string;
  /** Default `otp_audit`. */
  tableName?: string;
  /**
   * Bound on each statement. Default 5,000 ms (batches are larger than a check). It applies on a
   * shared pool too: each statement carries it as its own `query_timeout`, over the pool's.
   */
  timeoutMs?: number;
  /** Where time comes from (for `purge`). Default `Date.now`. */
  now?: () => number;
}

/** Postgres's SQLSTATE for a duplicate key. */
const UNIQUE_VIOLATION = "23505";

/**
 * The audit log in Postgres: one COPY per batch, jsonb metadata. COPY costs the server about 40%
 * of the CPU a row that an INSERT from a JSON recordset does (`npm run bench -- audit`), and the
 * audit log is the largest writer this library puts on a database.
 */
export class PostgresAuditLog implements AuditLog {
  /** The pool the log writes through. */
  readonly pool: pg.Pool;
  /** The table rows are stored in. */
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #columns = AUDIT_COLUMNS.join(", ");

  constructor(options: PostgresAuditLogOptions) {
    this.tableName = tableNameOption("postgresAuditLog", options.tableName, "otp_audit");
    this.#timeoutMs = timeoutOption("postgresAuditLog", options.timeoutMs, 5000);
    this.#now = options.now ?? Date.now;
    ({ pool: this.pool, owned: this.#owned } = poolFromOptions(
      options,
      "postgresAuditLog",
      (connectionString) =>
        new pg.Pool({ connectionString, connectionTimeoutMillis: this.#timeoutMs, query_timeout: this.#timeoutMs, max: 4 }),
    ));
    this.pool.on("error", () => undefined);
  }

  async migrated(): Promise<boolean> {
    return (
      (await postgresTableExists(this.pool, this.tableName, this.#timeoutMs)) &&
      (await postgresColumnExists(this.pool, this.tableName, "duration_ms", this.#timeoutMs)) &&
      (await postgresColumnExists(this.pool, this.tableName, "actor", this.#timeoutMs)) &&
      (await postgresTableExists(this.pool, rollupTable(this.tableName), this.#timeoutMs)) &&
      // The percentiles' index (to_regclass finds an index as it finds a table): without it a
      // month's overview of a small purpose reads every row.
      (await postgresTableExists(this.pool, `${this.tableName}_checks`, this.#timeoutMs))
    );
  }

  async migrate(): Promise<void> {
    const t = this.tableName;
    await migratePostgres(this.pool, {
      table: t,
      timeoutMs: this.#timeoutMs,
      statements: [
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
          duration_ms double precision,
          at timestamptz NOT NULL,
          -- Time first: the index grows at its right edge and serves newest-first paging,
          -- time ranges and retention, so no separate time index is kept up.
          PRIMARY KEY (at, event_id)
        )`,
        `CREATE INDEX IF NOT EXISTS ${t}_identifier ON ${t} (identifier_hash, at DESC)`,
        // Tables made before check durations were kept gain the column.
        `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS duration_ms double precision`,
        `CREATE INDEX IF NOT EXISTS ${t}_client_ip ON ${t} (client_ip, at DESC)`,
        // Only generated rows: a verification's issue time, for the time to approve.
        `CREATE INDEX IF NOT EXISTS ${t}_generated ON ${t} (verification_id, at) WHERE action = 'generated'`,
        // Refusals only, with what the top lists group by: they read this instead of the range's every row.
        `CREATE INDEX IF NOT EXISTS ${t}_refusals ON ${t} (at, purpose, channel, client_ip, identifier_masked)
          WHERE action IN ('failed', 'rate_limited')`,
        // Checks only, with what the percentiles read: walking back to a small purpose's or
        // channel's newest checks reads this, not every other row of the month.
        `CREATE INDEX IF NOT EXISTS ${t}_checks ON ${t} (at, action, purpose, channel, duration_ms, verification_id)
          WHERE action IN ('verified', 'failed')`,
        // Tables made before operators' actions were recorded gain the column.
        `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS actor text`,
        // In the migration's transaction: CREATE TRIGGER holds off inserts until it commits, so
        // the backfill counts exactly the rows the trigger will not.
        ...postgresRollupStatements(t),
      ],
    });
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = copyText(records);
    const t = this.tableName;
    try {
      await withClient(this.pool, this.#timeoutMs, (client) => this.#copy(client, t, rows));
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      // A batch written before whose answer never came (a timeout) is sent again, and COPY
      // refuses it whole on the first row already there: staged in a temporary table, the rows
      // not there yet are added. (After any failure, withClient closes the connection rather
      // than pool it mid-COPY or mid-transaction.)
      await withClient(this.pool, this.#timeoutMs, (client) =>
        inTransaction(client, this.#timeoutMs, async () => {
          await client.query(this.#bounded(`CREATE TEMPORARY TABLE otp_audit_resent (LIKE ${t}) ON COMMIT DROP`));
          await this.#copy(client, "otp_audit_resent", rows);
          await client.query(this.#bounded(`INSERT INTO ${t} SELECT * FROM otp_audit_resent ON CONFLICT (at, event_id) DO NOTHING`));
        }),
      );
    }
  }

  async #copy(client: pg.PoolClient, table: string, rows: string): Promise<void> {
    // pg reads `query_timeout` off the submitted query, a COPY stream included.
    const copy = client.query(Object.assign(copyFrom(`COPY ${table} (${this.#columns}) FROM STDIN`), { query_timeout: this.#timeoutMs }));
    copy.end(rows);
    await finished(copy);
  }

  #bounded(text: string, values?: unknown[]): pg.QueryConfig {
    return boundedStatement(text, this.#timeoutMs, values);
  }

  /** Rows matching `filter`, newest first, a page at a time. */
  async query(filter: AuditFilter = {}): Promise<AuditPage> {
    const f = normalizeAuditFilter(filter);
    const values: unknown[] = [];
    const sql = selectSql(
      this.tableName,
      f,
      (value) => `$${values.push(value)}`,
      (ms) => new Date(ms),
    );
    const { rows } = await this.#query<AuditRow>(sql, values);
    return toPage(rows.map(rowToRecord), f.limit);
  }

  /** Counts per bucket, totals, latencies and top refusal sources: five GROUP BY and window queries (and the rollup's), side by side on the pool. */
  async stats(query: AuditStatsQuery): Promise<AuditStats> {
    const q = normalizeStatsQuery(query);
    const answers = await Promise.all(
      statsStatements(this.tableName, q, POSTGRES_STATS, rollupTable(this.tableName)).map(async ({ name, sql, values }) => [
        name,
        (await this.#query(sql, values)).rows,
      ]),
    );
    return statsFromSql(q, Object.fromEntries(answers) as StatsResults);
  }

  exportCsv(filter: AuditFilter = {}): AsyncIterable<string> {
    return auditCsv(this, filter);
  }

  async purge(olderThanDays: number): Promise<number> {
    const cutoff = new Date(purgeCutoffMs(olderThanDays, this.#now()));
    const t = this.tableName;
    let deleted = 0;
    for (;;) {
      const result = await this.#query(`DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM ${t} WHERE at < $1 LIMIT ${PURGE_BATCH_ROWS})`, [
        cutoff,
      ]);
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < PURGE_BATCH_ROWS) return deleted;
    }
  }

  /** Closes the pool if the log opened it. */
  async close(): Promise<void> {
    if (this.#owned && !this.pool.ended) await this.pool.end();
  }

  #query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return withTimeout(() => this.pool.query<R>(this.#bounded(text, values)), this.#timeoutMs, "postgres");
  }
}

/** An audit log in a Postgres table (COPY for batches). */
export function postgresAuditLog(options: PostgresAuditLogOptions): PostgresAuditLog {
  return new PostgresAuditLog(options);
}
