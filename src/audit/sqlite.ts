import type BetterSqlite3 from "better-sqlite3";
import { openSqliteFile } from "../drivers/sqlite-file.js";
import { timeoutOption } from "../core/util/option-checks.js";
import { tableNameOption } from "../core/util/sql-identifier.js";
import { sqliteColumnExists, sqliteIndexExists, sqliteTableExists } from "../drivers/table-exists.js";
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
import { auditCsv } from "./csv.js";
import { normalizeStatsQuery, type AuditStats, type AuditStatsQuery } from "./stats.js";
import { SQLITE_STATS } from "./sqlite-stats-dialect.js";
import { statsFromSql, statsStatements, type StatsResults } from "./stats-sql.js";
import { rollupTable } from "./rollup-sql.js";
import { sqliteRollupSql } from "./sqlite-rollup.js";
import { startSqliteReader, type SqliteReader } from "./sqlite-reader.js";
import { startSqliteWriter, type SqliteWriter } from "./sqlite-writer.js";
import { AUDIT_COLUMNS, recordValues, rowToRecord, selectSql, type AuditRow } from "./sql.js";

/** Options of `sqliteAuditLog`: a file or a connection. */
export interface SqliteAuditLogOptions {
  /**
   * Database file; its directory is created. Default `./data/audit.db`: a file of its own, so
   * audit writes never hold the ledger's write lock. Ignored when `database` is given.
   */
  path?: string;
  /**
   * A connection you opened; `close()` then leaves it open. Writes then run on the calling thread,
   * which costs checks time: prefer `path`.
   */
  database?: BetterSqlite3.Database;
  /**
   * Where batches are written when the log opens `path` itself: "worker" (default) inserts on a
   * worker thread with its own connection, so the event loop never waits on SQLite; "inline" on
   * the calling thread.
   */
  writer?: "worker" | "inline";
  /** Default `otp_audit`. */
  tableName?: string;
  /**
   * How long the worker's write waits for another connection's write lock before it fails (and
   * the recorder keeps its records to try again). Default 5,000 ms.
   */
  busyTimeoutMs?: number;
  /** Where time comes from (for `purge`). Default `Date.now`. */
  now?: () => number;
}

/** The audit log in SQLite: times as epoch milliseconds, metadata as JSON text. */
export class SqliteAuditLog implements AuditLog {
  /** The connection reads go through. */
  readonly database: BetterSqlite3.Database;
  /** The table rows are stored in. */
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #now: () => number;
  #insert: BetterSqlite3.Statement<unknown[]> | undefined;
  readonly #path: string | undefined;
  readonly #useWorker: boolean;
  readonly #busyTimeoutMs: number;
  #writer: SqliteWriter | undefined;
  #reader: SqliteReader | undefined;

  constructor(options: SqliteAuditLogOptions = {}) {
    this.tableName = tableNameOption("sqliteAuditLog", options.tableName, "otp_audit");
    this.#now = options.now ?? Date.now;
    this.#busyTimeoutMs = timeoutOption("sqliteAuditLog", options.busyTimeoutMs, 5000);
    if (options.database) {
      this.database = options.database;
      this.#owned = false;
    } else {
      const path = options.path ?? "./data/audit.db";
      this.database = openSqliteFile(path);
      this.#path = path;
      this.#owned = true;
    }
    this.#useWorker = this.#path !== undefined && this.#path !== ":memory:" && (options.writer ?? "worker") === "worker";
  }

  get #insertSql(): string {
    return `INSERT OR IGNORE INTO ${this.tableName} (${AUDIT_COLUMNS.join(", ")}) VALUES (${AUDIT_COLUMNS.map(() => "?").join(", ")})`;
  }

  async migrated(): Promise<boolean> {
    return (
      sqliteTableExists(this.database, this.tableName) &&
      sqliteColumnExists(this.database, this.tableName, "duration_ms") &&
      sqliteColumnExists(this.database, this.tableName, "actor") &&
      sqliteTableExists(this.database, rollupTable(this.tableName)) &&
      // The stats' covering indexes: without them a month's overview reads the table, seconds long.
      sqliteIndexExists(this.database, `${this.tableName}_checks`)
    );
  }

  async migrate(): Promise<void> {
    const t = this.tableName;
    this.database.exec(`
      CREATE TABLE IF NOT EXISTS ${t} (
        at INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        verification_id TEXT,
        action TEXT NOT NULL,
        status TEXT NOT NULL,
        purpose TEXT,
        channel TEXT,
        identifier_hash TEXT,
        identifier_masked TEXT,
        attempts INTEGER,
        metadata TEXT,
        client_ip TEXT,
        user_agent TEXT,
        trace_id TEXT,
        duration_ms REAL,
        -- Clustered by time: rows append at the right edge, and newest-first paging, time ranges
        -- and retention all walk this one tree, so no separate time index is kept up.
        PRIMARY KEY (at, event_id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${t}_identifier ON ${t} (identifier_hash, at);
    `);
    // Tables made before check durations were kept gain the column (ALTER TABLE has no IF NOT EXISTS here).
    if (!sqliteColumnExists(this.database, t, "duration_ms")) this.database.exec(`ALTER TABLE ${t} ADD COLUMN duration_ms REAL`);
    this.database.exec(`
      CREATE INDEX IF NOT EXISTS ${t}_client_ip ON ${t} (client_ip, at);
      -- Only generated rows: a verification's issue time, for the time to approve, without an
      -- index entry for every row.
      CREATE INDEX IF NOT EXISTS ${t}_generated ON ${t} (verification_id) WHERE action = 'generated';
      -- Refusals only (about a tenth of the rows), with what the top lists group by, and checks
      -- only, with what the percentiles read: each query reads its index alone, never the table.
      -- SQLite reads a column the query names from the table unless the index holds it, even the
      -- action its partial condition fixes, so the action is a column too.
      DROP INDEX IF EXISTS ${t}_refusals;
      CREATE INDEX IF NOT EXISTS ${t}_refusal_sources ON ${t} (at, action, purpose, channel, client_ip, identifier_masked)
        WHERE action IN ('failed', 'rate_limited');
      CREATE INDEX IF NOT EXISTS ${t}_checks ON ${t} (at, action, purpose, channel, duration_ms, verification_id)
        WHERE action IN ('verified', 'failed');
    `);
    // Tables made before operators' actions were recorded gain the column.
    if (!sqliteColumnExists(this.database, t, "actor")) this.database.exec(`ALTER TABLE ${t} ADD COLUMN actor TEXT`);
    // One write transaction for the rollup, its triggers and its backfill: a row another
    // connection writes meanwhile waits, then fires the trigger, so none is counted twice or missed.
    this.database.transaction(() => this.database.exec(sqliteRollupSql(t))).immediate();
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.#useWorker) {
      this.#writer ??= startSqliteWriter({ path: this.#path!, insertSql: this.#insertSql, busyTimeoutMs: this.#busyTimeoutMs });
      return this.#writer.write(records.map(recordValues));
    }
    this.#insert ??= this.database.prepare(this.#insertSql);
    const insert = this.#insert;
    // One transaction per batch: one commit for the lot instead of one per row.
    this.database.transaction(() => {
      for (const record of records) insert.run(recordValues(record));
    })();
  }

  /** Rows matching `filter`, newest first, a page at a time. */
  async query(filter: AuditFilter = {}): Promise<AuditPage> {
    const f = normalizeAuditFilter(filter);
    const values: unknown[] = [];
    const sql = selectSql(
      this.tableName,
      f,
      (value) => {
        values.push(value);
        return "?";
      },
      (ms) => ms,
    );
    const rows = this.database.prepare<unknown[], AuditRow>(sql).all(...values);
    return toPage(rows.map(rowToRecord), f.limit);
  }

  /**
   * Counts per bucket, totals, latencies and top refusal sources: GROUP BY and window queries.
   * With the worker writer (the log opened its file) they run on a reader thread of their own;
   * otherwise on the calling thread, as every other read.
   */
  async stats(query: AuditStatsQuery): Promise<AuditStats> {
    const q = normalizeStatsQuery(query);
    const statements = statsStatements(this.tableName, q, SQLITE_STATS, rollupTable(this.tableName));
    let rows: Array<Record<string, unknown>[]>;
    if (this.#useWorker) {
      this.#reader ??= startSqliteReader(this.#path!);
      rows = await this.#reader.read(statements.map(({ sql, values }) => ({ sql, values })));
    } else {
      rows = statements.map(({ sql, values }) => this.database.prepare<unknown[], Record<string, unknown>>(sql).all(...values));
    }
    return statsFromSql(q, Object.fromEntries(statements.map(({ name }, i) => [name, rows[i]!])) as StatsResults);
  }

  exportCsv(filter: AuditFilter = {}): AsyncIterable<string> {
    return auditCsv(this, filter);
  }

  async purge(olderThanDays: number): Promise<number> {
    const cutoff = purgeCutoffMs(olderThanDays, this.#now());
    const t = this.tableName;
    const batch = this.database.prepare(
      `DELETE FROM ${t} WHERE (at, event_id) IN (SELECT at, event_id FROM ${t} WHERE at < ? ORDER BY at LIMIT ${PURGE_BATCH_ROWS})`,
    );
    let deleted = 0;
    for (;;) {
      const { changes } = batch.run(cutoff);
      deleted += changes;
      if (changes < PURGE_BATCH_ROWS) return deleted;
      // Lets waiting requests (and other writers) in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Closes the connections the log opened. */
  async close(): Promise<void> {
    this.#insert = undefined;
    await this.#writer?.close();
    this.#writer = undefined;
    await this.#reader?.close();
    this.#reader = undefined;
    if (this.#owned && this.database.open) this.database.close();
  }
}

/** An audit log in a SQLite file (written on a worker thread by default). */
export function sqliteAuditLog(options: SqliteAuditLogOptions = {}): SqliteAuditLog {
  return new SqliteAuditLog(options);
}
