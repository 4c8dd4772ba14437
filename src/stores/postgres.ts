import pg from "pg";
import type { LedgerRevokeOptions, LedgerStore, RecordResult, RevokeResult } from "./store.js";
import { tableNameOption, timeoutOption, withTimeout } from "./timeout.js";
import { migratePostgres } from "./pg-work.js";
import { CONSUMED, PENDING, PURGE_BATCH, PURGE_EVERY_OPENS, STATE_NAMES, refusesAsRevoked, revokedState } from "./ledger-states.js";

export interface PostgresStoreOptions {
  /** A pool you built; `close()` then leaves it open. Give it `connectionTimeoutMillis` so a dead server cannot queue callers forever. */
  pool?: pg.Pool;
  /** Used to build a pool when `pool` is absent. */
  connectionString?: string;
  /** Default `otp_ledger`. */
  tableName?: string;
  /** Bound on connecting and on each query. Default 1,000 ms. */
  timeoutMs?: number;
}


interface Snapshot {
  attempts: number | null;
  state: number | null;
  live: boolean | null;
}

interface RecordRow extends Snapshot {
  new_attempts: number | null;
  new_state: number | null;
}

interface RevokeRow extends Snapshot {
  revoked_attempts: number | null;
}

/**
 * Durable state for many instances. A check is one statement: a conditional UPDATE that only a
 * pending, live, not-exhausted row passes (Postgres re-evaluates the condition on the newest row
 * version after waiting for a concurrent writer, so N racing checks cannot all pass), with a
 * snapshot of the row alongside to name a refusal without a second round trip.
 */
export class PostgresStore implements LedgerStore {
  readonly kind = "postgres";
  readonly pool: pg.Pool;
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #sql: { open: string; record: string; revoke: string; read: string; purge: string };
  #opens = 0;
  /** The last connection error the pool reported; kept so health() can say why. */
  lastError: Error | undefined;

  constructor(options: PostgresStoreOptions) {
    this.tableName = tableNameOption("postgres", options.tableName, "otp_ledger");
    this.#timeoutMs = timeoutOption("postgres", options.timeoutMs);
    if (options.pool) {
      this.pool = options.pool;
      this.#owned = false;
    } else if (typeof options.connectionString === "string") {
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        connectionTimeoutMillis: this.#timeoutMs,
        query_timeout: this.#timeoutMs,
        // Keeps a dead peer from holding a pooled connection for the kernel's default (hours).
        keepAlive: true,
      });
      this.#owned = true;
    } else {
      throw new TypeError("otp-actions: postgresStore needs `pool` or `connectionString`");
    }
    // An idle client whose server went away emits 'error' on the pool; unheard, that would end
    // the process. The pool drops that client and connects afresh when the server returns.
    this.pool.on("error", (error) => {
      this.lastError = error;
    });
    const t = this.tableName;
    const snapshot = `SELECT attempts, state, expires_at > now() AS live FROM ${t} WHERE id = $1`;
    this.#sql = {
      open: `INSERT INTO ${t} (id, attempts, state, expires_at) VALUES ($1, $2, ${PENDING}, now() + $3 * interval '1 millisecond')
             ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts, state = ${PENDING}, expires_at = EXCLUDED.expires_at`,
      record: `WITH cur AS (${snapshot}),
               upd AS (UPDATE ${t} SET attempts = attempts + 1, state = CASE WHEN $2::boolean THEN ${CONSUMED} ELSE ${PENDING} END
                       WHERE id = $1 AND state = ${PENDING} AND attempts < $3 AND expires_at > now()
                       RETURNING attempts, state)
               SELECT upd.attempts AS new_attempts, upd.state AS new_state, cur.attempts, cur.state, cur.live
               FROM (SELECT 1) AS one LEFT JOIN upd ON true LEFT JOIN cur ON true`,
      revoke: `WITH cur AS (${snapshot}),
               upd AS (UPDATE ${t} SET state = $2 WHERE id = $1 AND state = ${PENDING} AND expires_at > now() RETURNING attempts)
               SELECT upd.attempts AS revoked_attempts, cur.attempts, cur.state, cur.live
               FROM (SELECT 1) AS one LEFT JOIN upd ON true LEFT JOIN cur ON true`,
      read: snapshot,
      purge: `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
    };
  }

  async migrate(): Promise<void> {
    const t = this.tableName;
    await migratePostgres(this.pool, {
      table: t,
      timeoutMs: this.#timeoutMs,
      statements: [
        `CREATE TABLE IF NOT EXISTS ${t} (
          id text PRIMARY KEY,
          attempts integer NOT NULL,
          state smallint NOT NULL,
          expires_at timestamptz NOT NULL
        )`,
        `CREATE INDEX IF NOT EXISTS ${t}_expires_at ON ${t} (expires_at)`,
      ],
    });
  }

  async open(id: string, ttlMs: number, attempts = 0): Promise<void> {
    await this.#query(() => this.pool.query({ name: `otp-open-${this.tableName}`, text: this.#sql.open, values: [id, attempts, ttlMs] }));
    if (++this.#opens % PURGE_EVERY_OPENS === 0) {
      // Not awaited: housekeeping never adds latency to issuing a code, and a failure only delays it.
      this.purgeExpired().catch(() => undefined);
    }
  }

  async record(id: string, match: boolean, maxAttempts: number): Promise<RecordResult> {
    const { rows } = await this.#query(() =>
      this.pool.query<RecordRow>({ name: `otp-record-${this.tableName}`, text: this.#sql.record, values: [id, match, maxAttempts] }),
    );
    const row = rows[0]!;
    if (row.new_attempts !== null) return { outcome: row.new_state === CONSUMED ? "approved" : "rejected", attempts: row.new_attempts };
    const refusal = classifyRefusal(row, maxAttempts);
    if (refusal) return refusal;
    // The snapshot predates a concurrent check that took the last attempt or consumed the code.
    // Those states are final, so a fresh read names the refusal correctly.
    return classifyRefusal(await this.#read(id), maxAttempts) ?? { outcome: "exhausted", attempts: maxAttempts };
  }

  async revoke(id: string, options: LedgerRevokeOptions = {}): Promise<RevokeResult> {
    const values = [id, revokedState(options.replaced)];
    const { rows } = await this.#query(() => this.pool.query<RevokeRow>({ name: `otp-revoke-${this.tableName}`, text: this.#sql.revoke, values }));
    const row = rows[0]!;
    if (row.revoked_attempts !== null) return { previous: "pending", attempts: row.revoked_attempts };
    const current = row.state === PENDING && row.live ? await this.#read(id) : row;
    if (current.attempts === null || !current.live) return { previous: "unknown", attempts: 0 };
    return { previous: STATE_NAMES[current.state!] ?? "unknown", attempts: current.attempts };
  }

  async health(): Promise<void> {
    await this.#query(() => this.pool.query(`SELECT 1 FROM ${this.tableName} LIMIT 1`));
  }

  /** Deletes up to `limit` expired rows; returns how many. `open` already does this in small steps. */
  async purgeExpired(limit = PURGE_BATCH): Promise<number> {
    const result = await this.#query(() => this.pool.query({ name: `otp-purge-${this.tableName}`, text: this.#sql.purge, values: [limit] }));
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.#owned && !this.pool.ended) await this.pool.end();
  }

  async #read(id: string): Promise<Snapshot> {
    const { rows } = await this.#query(() => this.pool.query<Snapshot>({ name: `otp-read-${this.tableName}`, text: this.#sql.read, values: [id] }));
    return rows[0] ?? { attempts: null, state: null, live: null };
  }

  /**
   * Ledger statements are single autocommit statements through `pool.query`, which closes its
   * connection after any error (a read timeout included) and keeps it checked out while the
   * statement runs, so none goes back to the pool mid-statement or inside a transaction.
   */
  #query<T>(operation: () => Promise<T>): Promise<T> {
    return withTimeout(operation(), this.#timeoutMs, "postgres");
  }
}

/** Names a refused check from a row snapshot, or undefined when the snapshot would have passed. */
function classifyRefusal(row: Snapshot, maxAttempts: number): RecordResult | undefined {
  if (row.attempts === null || !row.live) return { outcome: "unknown", attempts: 0 };
  if (row.state === CONSUMED) return { outcome: "consumed", attempts: row.attempts };
  if (refusesAsRevoked(row.state)) return { outcome: "revoked", attempts: row.attempts };
  if (row.attempts >= maxAttempts) return { outcome: "exhausted", attempts: row.attempts };
  return undefined;
}

export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
