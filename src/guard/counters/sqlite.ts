import type BetterSqlite3 from "better-sqlite3";
import { whenUnlocked } from "../../drivers/sqlite-file.js";
import { sqliteTableExists } from "../../drivers/table-exists.js";
import { tableNameOption } from "../../core/util/sql-identifier.js";
import { StoreTimeoutError } from "../../core/util/with-timeout.js";
import type { LedgerStore, SynchronousLedger } from "../../contracts/ledger.js";
import type { CounterStep, CounterStore, StepResult } from "./counter-store.js";
import { planStep, type Window } from "./step.js";

/** Where SQLite counters live. */
export interface SqliteCountersOptions {
  /** The connection (the SQLite store's own, by default). */
  database: BetterSqlite3.Database;
  /** The SQLite store on this same connection, whose primitives then run inside the counters' transaction. */
  ledger?: SynchronousLedger & LedgerStore;
  /** Default `otp_guard_counters`. */
  tableName?: string;
}

/** Every this many writing steps, up to PURGE_BATCH expired windows are deleted. */
const PURGE_EVERY = 256;
const PURGE_BATCH = 256;

/**
 * Counters in a SQLite table: each step is one IMMEDIATE transaction over prepared statements
 * (read the step's rows, decide, write), so a start takes all its send limits in one commit and
 * processes sharing the file never interleave inside a step. The table is created on first use.
 */
export class SqliteCounters implements CounterStore {
  readonly kind = "sqlite";
  readonly shared = true;
  readonly ledger: (SynchronousLedger & LedgerStore) | undefined;
  readonly #database: BetterSqlite3.Database;
  readonly tableName: string;
  #statements:
    | {
        read: BetterSqlite3.Statement<[string], Window>;
        write: BetterSqlite3.Statement<[string, number, number]>;
        remove: BetterSqlite3.Statement<[string]>;
        purge: BetterSqlite3.Statement<[number, number]>;
      }
    | undefined;
  #transaction: BetterSqlite3.Transaction<(step: CounterStep) => StepResult> | undefined;
  #writes = 0;

  constructor(options: SqliteCountersOptions) {
    this.#database = options.database;
    this.ledger = options.ledger;
    this.tableName = tableNameOption("sqliteCounters", options.tableName, "otp_guard_counters");
  }

  /** Applies a step atomically: all of it, or nothing when an op refuses or the deadline passed. */
  apply(step: CounterStep): Promise<StepResult> {
    // Another process holding the write lock is waited for on the event loop, not inside SQLite.
    return whenUnlocked(
      step.deadlineMs,
      () => this.#prepared().immediate(step),
      () => new StoreTimeoutError("guard", 0),
    );
  }

  async health(): Promise<void> {
    this.#prepared();
  }

  /** Creates the table now rather than on the first step: `otp-actions migrate` runs it. */
  async migrate(): Promise<void> {
    this.#prepared();
  }

  async migrated(): Promise<boolean> {
    return sqliteTableExists(this.#database, this.tableName);
  }

  #run(step: CounterStep): StepResult {
    const statements = this.#statements!;
    const { result, writes } = planStep((key) => statements.read.get(key), step, this.ledger);
    for (const [key, window] of writes) {
      if (window === null) statements.remove.run(key);
      else statements.write.run(key, window.points, window.expiresAtMs);
    }
    if (writes.size > 0 && ++this.#writes % PURGE_EVERY === 0) statements.purge.run(step.nowMs, PURGE_BATCH);
    return result;
  }

  #prepared(): BetterSqlite3.Transaction<(step: CounterStep) => StepResult> {
    if (this.#transaction) return this.#transaction;
    const t = this.tableName;
    this.#database.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (key TEXT PRIMARY KEY, points INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`,
    );
    this.#statements = {
      read: this.#database.prepare(`SELECT points, expires_at AS expiresAtMs FROM ${t} WHERE key = ?`),
      write: this.#database.prepare(
        `INSERT INTO ${t} (key, points, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET points = excluded.points, expires_at = excluded.expires_at`,
      ),
      remove: this.#database.prepare(`DELETE FROM ${t} WHERE key = ?`),
      purge: this.#database.prepare(`DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_at <= ? LIMIT ?)`),
    };
    this.#transaction = this.#database.transaction((step: CounterStep) => this.#run(step));
    return this.#transaction;
  }
}

/** Counters in a SQLite table, shared by the processes on the file. */
export function sqliteCounters(options: SqliteCountersOptions): SqliteCounters {
  return new SqliteCounters(options);
}
