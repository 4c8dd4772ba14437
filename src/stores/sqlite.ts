import type BetterSqlite3 from "better-sqlite3";
import { isBusy, openSqliteFile, SQLITE_BUSY_WAIT_MS, whenUnlocked } from "../drivers/sqlite-file.js";
import type {
  AdvanceResult,
  LedgerCallOptions,
  LedgerEntry,
  LedgerRevokeOptions,
  LedgerStore,
  RecordResult,
  RevokeResult,
  SynchronousLedger,
} from "../contracts/ledger.js";
import { timeoutOption } from "../core/util/option-checks.js";
import { tableNameOption } from "../core/util/sql-identifier.js";
import { sqliteTableExists } from "../drivers/table-exists.js";
import { StoreTimeoutError, deadlineOf } from "../core/util/with-timeout.js";
import { CONSUMED, MARK, PENDING, PURGE_BATCH, PURGE_EVERY_OPENS, STATE_NAMES, refusesAsRevoked, revokedState } from "./ledger-states.js";

/** Options of `sqliteStore`: a file or a connection. */
export interface SqliteStoreOptions {
  /** Database file; its directory is created. Default `./data/otp.db`. Ignored when `database` is given. */
  path?: string;
  /** A connection you opened yourself; `close()` then leaves it open. */
  database?: BetterSqlite3.Database;
  /** Default `otp_ledger`. */
  tableName?: string;
  /**
   * How long a write may wait for another connection's write lock when the call names no
   * deadline. Default 1,000 ms. The wait never blocks the event loop for more than a few
   * milliseconds at a time (see SqliteStore).
   */
  timeoutMs?: number;
  /** Milliseconds since the epoch, for expiry. Default `Date.now`. */
  now?: () => number;
}

interface Row {
  attempts: number;
  state: number;
  expires_at: number;
}

interface Statements {
  open: BetterSqlite3.Statement<[string, number, number]>;
  record: BetterSqlite3.Statement<{ id: string; match: number; max: number; now: number }, { attempts: number; state: number }>;
  read: BetterSqlite3.Statement<[string], Row>;
  revoke: BetterSqlite3.Statement<{ id: string; state: number; now: number }, { attempts: number }>;
  purge: BetterSqlite3.Statement<[number, number]>;
  advance: BetterSqlite3.Statement<{ key: string; value: number; expires: number; now: number }, { attempts: number }>;
  mark: BetterSqlite3.Statement<[string, number], { attempts: number }>;
}

/**
 * The service's embedded default: one file in WAL mode, so readers never block the writer and a
 * restart keeps every pending, consumed and revoked verification. better-sqlite3 is synchronous,
 * so each primitive is one statement run to
 * completion inside one turn of the event loop; across processes sharing the file, the
 * conditional UPDATE is what keeps a check atomic.
 *
 * better-sqlite3 waits for a lock by sleeping the thread, which would stall every request the
 * process serves. So the connection's busy_timeout is a few milliseconds, and a write that finds
 * the lock held is tried again from a timer until its deadline. An attempt is started only while
 * its whole wait fits before the deadline, and each attempt either applies in full or not at all
 * (one statement), so past the deadline nothing is applied: the call rejects with
 * StoreTimeoutError.
 */
export class SqliteStore implements LedgerStore, SynchronousLedger {
  readonly kind = "sqlite";
  /** The connection, shared with whatever else wants it (the rate limiter reuses it). */
  readonly database: BetterSqlite3.Database;
  /** The table verifications are stored in. */
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  #statements: Statements | undefined;
  #opens = 0;

  constructor(options: SqliteStoreOptions = {}) {
    this.tableName = tableNameOption("sqlite", options.tableName, "otp_ledger");
    this.#timeoutMs = timeoutOption("sqlite", options.timeoutMs);
    this.#now = options.now ?? Date.now;
    if (options.database) {
      this.database = options.database;
      this.#owned = false;
    } else {
      this.database = openSqliteFile(options.path ?? "./data/otp.db");
      this.#owned = true;
    }
    this.database.pragma(`busy_timeout = ${SQLITE_BUSY_WAIT_MS}`);
  }

  async migrate(): Promise<void> {
    await this.#write(undefined, () =>
      this.database.exec(`
      CREATE TABLE IF NOT EXISTS ${this.tableName} (
        id TEXT PRIMARY KEY,
        attempts INTEGER NOT NULL,
        state INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${this.tableName}_expires_at ON ${this.tableName} (expires_at);
    `),
    );
  }

  async migrated(): Promise<boolean> {
    return sqliteTableExists(this.database, this.tableName);
  }

  async open(id: string, ttlMs: number, attempts = 0, options?: LedgerCallOptions): Promise<void> {
    const statements = this.#prepared();
    await this.#write(options, () => this.openNow(id, ttlMs, attempts));
    if (++this.#opens % PURGE_EVERY_OPENS === 0) {
      try {
        statements.purge.run(this.#now(), PURGE_BATCH);
      } catch (error) {
        // Housekeeping: a lock held elsewhere only delays it to a later open.
        if (!isBusy(error)) throw error;
      }
    }
  }

  async record(id: string, match: boolean, maxAttempts: number, options?: LedgerCallOptions): Promise<RecordResult> {
    return this.#write(options, () => this.recordNow(id, match, maxAttempts));
  }

  /** `open`'s statement, run now on this connection (inside a caller's transaction; see SynchronousLedger). */
  openNow(id: string, ttlMs: number, attempts: number): void {
    this.#prepared().open.run(id, attempts, this.#now() + ttlMs);
  }

  /** `record`'s statements, run now on this connection (inside a caller's transaction; see SynchronousLedger). */
  recordNow(id: string, match: boolean, maxAttempts: number): RecordResult {
    const statements = this.#prepared();
    const now = this.#now();
    const updated = statements.record.get({ id, match: match ? 1 : 0, max: maxAttempts, now });
    if (updated) return { outcome: updated.state === CONSUMED ? "approved" : "rejected", attempts: updated.attempts };
    // The update refused. Every refusal is a terminal or monotonic state (consumed, revoked,
    // attempts only grow, time only passes), so reading it afterwards still names the right one.
    const row = statements.read.get(id);
    if (!row || row.expires_at <= now) return { outcome: "unknown", attempts: 0 };
    if (row.state === CONSUMED) return { outcome: "consumed", attempts: row.attempts };
    if (refusesAsRevoked(row.state)) return { outcome: "revoked", attempts: row.attempts };
    return { outcome: "exhausted", attempts: row.attempts };
  }

  async revoke(id: string, options: LedgerRevokeOptions & LedgerCallOptions = {}): Promise<RevokeResult> {
    return this.#write(options, () => this.#revoke(id, options));
  }

  #revoke(id: string, options: LedgerRevokeOptions): RevokeResult {
    const statements = this.#prepared();
    const now = this.#now();
    const revoked = statements.revoke.get({ id, state: revokedState(options.replaced), now });
    if (revoked) return { previous: "pending", attempts: revoked.attempts };
    const row = statements.read.get(id);
    if (!row || row.expires_at <= now) return { previous: "unknown", attempts: 0 };
    return { previous: STATE_NAMES[row.state] ?? "unknown", attempts: row.attempts };
  }

  /** One upsert that only raises the mark (or replaces an expired one); a refusal reads what it holds. */
  async advance(key: string, value: number, ttlMs: number, options?: LedgerCallOptions): Promise<AdvanceResult> {
    return this.#write(options, () => {
      const statements = this.#prepared();
      const now = this.#now();
      if (statements.advance.get({ key, value, expires: now + ttlMs, now })) return { advanced: true, value };
      return { advanced: false, value: statements.mark.get(key, now)?.attempts ?? value };
    });
  }

  /** A read, which in WAL mode waits for no writer; it still keeps the deadline (a busy file is retried until it). */
  async inspect(id: string, options?: LedgerCallOptions): Promise<LedgerEntry> {
    return this.#write(options, () => {
      const row = this.#prepared().read.get(id);
      if (!row || row.expires_at <= this.#now()) return { state: "unknown", attempts: 0 };
      const state = STATE_NAMES[row.state];
      return state ? { state, attempts: row.attempts, expiresAtMs: row.expires_at } : { state: "unknown", attempts: 0 };
    });
  }

  async health(): Promise<void> {
    this.database.prepare(`SELECT 1 FROM ${this.tableName} LIMIT 1`).get();
  }

  /** Deletes up to `limit` expired rows now; returns how many. `open` already does this in small steps. */
  async purgeExpired(limit = PURGE_BATCH): Promise<number> {
    return this.#prepared().purge.run(this.#now(), limit).changes;
  }

  async close(): Promise<void> {
    this.#statements = undefined;
    if (this.#owned && this.database.open) this.database.close();
  }

  /**
   * Runs `operation` (one statement, applied in full or not at all) once the write lock is free,
   * before the deadline: the caller's, or `timeoutMs` from now.
   */
  #write<T>(options: LedgerCallOptions | undefined, operation: () => T): Promise<T> {
    let deadlineMs: number;
    try {
      deadlineMs = deadlineOf("sqlite", options, this.#timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return whenUnlocked(
      deadlineMs,
      operation,
      () =>
        new StoreTimeoutError("sqlite", 0, "sqlite store: another connection held the write lock until the deadline; nothing was applied"),
    );
  }

  // Prepared on first use rather than in the constructor: the table exists only after migrate().
  #prepared(): Statements {
    if (this.#statements) return this.#statements;
    const t = this.tableName;
    this.#statements = {
      open: this.database.prepare(`INSERT OR REPLACE INTO ${t} (id, attempts, state, expires_at) VALUES (?, ?, ${PENDING}, ?)`),
      record: this.database.prepare(
        `UPDATE ${t} SET attempts = attempts + 1, state = CASE WHEN @match = 1 THEN ${CONSUMED} ELSE ${PENDING} END
         WHERE id = @id AND state = ${PENDING} AND attempts < @max AND expires_at > @now
         RETURNING attempts, state`,
      ),
      read: this.database.prepare(`SELECT attempts, state, expires_at FROM ${t} WHERE id = ?`),
      revoke: this.database.prepare(
        `UPDATE ${t} SET state = @state WHERE id = @id AND state = ${PENDING} AND expires_at > @now RETURNING attempts`,
      ),
      purge: this.database.prepare(`DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= ? LIMIT ?)`),
      // Marks share the table (their keys hold a ':', which no verification id does): no migration.
      advance: this.database.prepare(
        `INSERT INTO ${t} (id, attempts, state, expires_at) VALUES (@key, @value, ${MARK}, @expires)
         ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, expires_at = excluded.expires_at
         WHERE ${t}.attempts < excluded.attempts OR ${t}.expires_at <= @now
         RETURNING attempts`,
      ),
      mark: this.database.prepare(`SELECT attempts FROM ${t} WHERE id = ? AND state = ${MARK} AND expires_at > ?`),
    };
    return this.#statements;
  }
}

/** A ledger in a SQLite file, shared by the processes on one machine. */
export function sqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}
