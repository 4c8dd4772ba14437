import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { tableNameOption } from "../stores/timeout.js";
import { normalizeAuditFilter, PURGE_BATCH_ROWS, purgeCutoffMs, toPage, type AuditFilter, type AuditLog, type AuditPage, type AuditRecord } from "./audit-log.js";
import { auditCsv } from "./csv.js";
import { AUDIT_COLUMNS, recordValues, rowToRecord, selectSql, type AuditRow } from "./sql.js";

export interface SqliteAuditLogOptions {
  /** Database file; its directory is created. Default `./data/otp.db`. Ignored when `database` is given. */
  path?: string;
  /** A connection you opened (e.g. `sqliteStore(...).database`); `close()` then leaves it open. */
  database?: BetterSqlite3.Database;
  /** Default `otp_audit`. */
  tableName?: string;
  now?: () => number;
}

/** The audit log in SQLite: times as epoch milliseconds, metadata as JSON text. */
export class SqliteAuditLog implements AuditLog {
  readonly database: BetterSqlite3.Database;
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #now: () => number;
  #insert: BetterSqlite3.Statement<unknown[]> | undefined;

  constructor(options: SqliteAuditLogOptions = {}) {
    this.tableName = tableNameOption("sqliteAuditLog", options.tableName, "otp_audit");
    this.#now = options.now ?? Date.now;
    if (options.database) {
      this.database = options.database;
      this.#owned = false;
    } else {
      const path = options.path ?? "./data/otp.db";
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      this.database = new Database(path);
      this.database.pragma("journal_mode = WAL");
      this.database.pragma("synchronous = NORMAL");
      this.#owned = true;
    }
  }

  async migrate(): Promise<void> {
    const t = this.tableName;
    this.database.exec(`
      CREATE TABLE IF NOT EXISTS ${t} (
        event_id TEXT PRIMARY KEY,
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
        at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${t}_at ON ${t} (at, event_id);
      CREATE INDEX IF NOT EXISTS ${t}_identifier ON ${t} (identifier_hash, at);
      CREATE INDEX IF NOT EXISTS ${t}_verification ON ${t} (verification_id);
    `);
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.#insert ??= this.database.prepare(
      `INSERT OR IGNORE INTO ${this.tableName} (${AUDIT_COLUMNS.join(", ")}) VALUES (${AUDIT_COLUMNS.map(() => "?").join(", ")})`,
    );
    const insert = this.#insert;
    // One transaction per batch: one commit for the lot instead of one per row.
    this.database.transaction(() => {
      for (const record of records) insert.run(recordValues(record, (at) => at.getTime(), JSON.stringify));
    })();
  }

  async query(filter: AuditFilter = {}): Promise<AuditPage> {
    const f = normalizeAuditFilter(filter);
    const values: unknown[] = [];
    const sql = selectSql(this.tableName, f, (value) => (values.push(value), "?"), (ms) => ms);
    const rows = this.database.prepare<unknown[], AuditRow>(sql).all(...values);
    return toPage(rows.map(rowToRecord), f.limit);
  }

  exportCsv(filter: AuditFilter = {}): AsyncIterable<string> {
    return auditCsv(this, filter);
  }

  async purge(olderThanDays: number): Promise<number> {
    const cutoff = purgeCutoffMs(olderThanDays, this.#now());
    const t = this.tableName;
    const batch = this.database.prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE at < ? LIMIT ${PURGE_BATCH_ROWS})`);
    let deleted = 0;
    for (;;) {
      const { changes } = batch.run(cutoff);
      deleted += changes;
      if (changes < PURGE_BATCH_ROWS) return deleted;
      // Lets waiting requests (and other writers) in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    this.#insert = undefined;
    if (this.#owned && this.database.open) this.database.close();
  }
}

export function sqliteAuditLog(options: SqliteAuditLogOptions = {}): SqliteAuditLog {
  return new SqliteAuditLog(options);
}
