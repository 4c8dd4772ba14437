import pg from "pg";
import type {
  AdvanceResult,
  LedgerCallOptions,
  LedgerEntry,
  LedgerRevokeOptions,
  LedgerStore,
  RecordResult,
  RevokeResult,
} from "../contracts/ledger.js";
import { clockSkewOption, timeoutOption } from "../core/util/option-checks.js";
import { tableNameOption } from "../core/util/sql-identifier.js";
import { StoreTimeoutError, deadlineOf, deadlinePassed, withTimeout } from "../core/util/with-timeout.js";
import { migratePostgres, poolFromOptions } from "../drivers/pg-work.js";
import { postgresTableExists } from "../drivers/table-exists.js";
import { CONSUMED, MARK, PENDING, PURGE_BATCH, PURGE_EVERY_OPENS, STATE_NAMES, refusesAsRevoked, revokedState } from "./ledger-states.js";

/** Options of `postgresStore`: a pool or a connection string. */
export interface PostgresStoreOptions {
  /** A pool you built; `close()` then leaves it open. Give it `connectionTimeoutMillis` so a dead server cannot queue callers forever. */
  pool?: pg.Pool;
  /** Used to build a pool when `pool` is absent. */
  connectionString?: string;
  /** Default `otp_ledger`. */
  tableName?: string;
  /** Bound on connecting and on each query, and a write's deadline when the call names none. Default 1,000 ms. */
  timeoutMs?: number;
  /**
   * How far the database's clock may run behind this machine's (`clock_timestamp()` is compared
   * with the call's deadline). A call waits this long past its deadline for the answer. Default 250 ms.
   */
  clockSkewMs?: number;
}

/** Raised inside a ledger statement that would apply after its deadline; the statement rolls back. */
const DEADLINE_MARK = "otp-actions: deadline passed";

interface Snapshot {
  attempts: number | null;
  state: number | null;
  live: boolean | null;
}

interface Deadlined {
  in_time: number | null;
}

interface AdvanceRow extends Deadlined {
  advanced_value: number | null;
  current: number | null;
}

interface InspectRow extends Snapshot {
  expires_ms: number;
}

interface RecordRow extends Snapshot, Deadlined {
  new_attempts: number | null;
  new_state: number | null;
}

interface RevokeRow extends Snapshot, Deadlined {
  revoked_attempts: number | null;
}

/**
 * Durable state for many instances. A check is one statement: a conditional UPDATE that only a
 * pending, live, not-exhausted row passes (Postgres re-evaluates the condition on the newest row
 * version after waiting for a concurrent writer, so N racing checks cannot all pass), with a
 * snapshot of the row alongside to name a refusal without a second round trip.
 *
 * Each write carries its deadline into the statement, still one round trip: it first sets
 * `lock_timeout` (local to the statement's transaction) to the time left, so a wait on a row
 * another session holds ends by the deadline; and its RETURNING, which Postgres evaluates after
 * the row is written (after any wait for a lock), compares `clock_timestamp()` with the deadline
 * and raises an error past it, which rolls the statement back. A condition in the WHERE would not
 * do: after waiting for a lock whose holder did not change the row, Postgres does not evaluate
 * the WHERE again. So a statement that reaches the server late (a paused server, a queued socket)
 * or waits on a lock past the deadline changes nothing.
 */
export class PostgresStore implements LedgerStore {
  readonly kind = "postgres";
  /** The pool the store queries through (share it with `postgresAuditLog`). */
  readonly pool: pg.Pool;
  /** The table verifications are stored in. */
  readonly tableName: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #clockSkewMs: number;
  readonly #sql: {
    open: string;
    record: string;
    revoke: string;
    read: string;
    inspect: string;
    purge: string;
    advance: string;
    mark: string;
  };
  #opens = 0;
  /** The last connection error the pool reported; kept so health() can say why. */
  lastError: Error | undefined;

  constructor(options: PostgresStoreOptions) {
    this.tableName = tableNameOption("postgres", options.tableName, "otp_ledger");
    this.#timeoutMs = timeoutOption("postgres", options.timeoutMs);
    this.#clockSkewMs = clockSkewOption("postgres", options.clockSkewMs);
    ({ pool: this.pool, owned: this.#owned } = poolFromOptions(
      options,
      "postgresStore",
      (connectionString) =>
        new pg.Pool({
          connectionString,
          connectionTimeoutMillis: this.#timeoutMs,
          query_timeout: this.#timeoutMs,
          // Keeps a dead peer from holding a pooled connection for the kernel's default (hours).
          keepAlive: true,
        }),
    ));
    // An idle client whose server went away emits 'error' on the pool; unheard, that would end
    // the process. The pool drops that client and connects afresh when the server returns.
    this.pool.on("error", (error) => {
      this.lastError = error;
    });
    const t = this.tableName;
    const snapshot = `SELECT attempts, state, expires_at > now() AS live FROM ${t} WHERE id = $1`;
    // $n-1: lock_timeout (text, ms), $n: the deadline (epoch ms). cfg runs before any row is locked.
    const bound = (n: number) => ({
      cfg: `cfg AS (SELECT set_config('lock_timeout', $${n - 1}::text, true) AS v)`,
      inTime: `CASE WHEN clock_timestamp() <= to_timestamp($${n}::float8 / 1000) THEN 1 ELSE ('${DEADLINE_MARK} ' || id)::int END AS in_time`,
    });
    const open = bound(5);
    const record = bound(5);
    const revoke = bound(4);
    const advance = bound(5);
    this.#sql = {
      open: `WITH ${open.cfg}
             INSERT INTO ${t} (id, attempts, state, expires_at)
             SELECT $1::text, $2::integer, ${PENDING}, now() + $3::float8 * interval '1 millisecond' FROM cfg WHERE cfg.v IS NOT NULL
             ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts, state = ${PENDING}, expires_at = EXCLUDED.expires_at
             RETURNING ${open.inTime}`,
      record: `WITH ${record.cfg}, cur AS (${snapshot}),
               upd AS (UPDATE ${t} SET attempts = attempts + 1, state = CASE WHEN $2::boolean THEN ${CONSUMED} ELSE ${PENDING} END
                       WHERE id = $1 AND state = ${PENDING} AND attempts < $3 AND expires_at > now() AND (SELECT v FROM cfg) IS NOT NULL
                       RETURNING attempts, state, ${record.inTime})
               SELECT upd.attempts AS new_attempts, upd.state AS new_state, upd.in_time, cur.attempts, cur.state, cur.live
               FROM (SELECT 1) AS one LEFT JOIN upd ON true LEFT JOIN cur ON true`,
      revoke: `WITH ${revoke.cfg}, cur AS (${snapshot}),
               upd AS (UPDATE ${t} SET state = $2 WHERE id = $1 AND state = ${PENDING} AND expires_at > now() AND (SELECT v FROM cfg) IS NOT NULL
                       RETURNING attempts, ${revoke.inTime})
               SELECT upd.attempts AS revoked_attempts, upd.in_time, cur.attempts, cur.state, cur.live
               FROM (SELECT 1) AS one LEFT JOIN upd ON true LEFT JOIN cur ON true`,
      read: snapshot,
      inspect: `SELECT attempts, state, expires_at > now() AS live, extract(epoch FROM expires_at)::float8 * 1000 AS expires_ms FROM ${t} WHERE id = $1`,
      // Marks share the table (their keys hold a ':', which no verification id does): no migration.
      // Postgres evaluates the conflict's WHERE on the newest row version, so racing raises to the
      // same value advance once.
      advance: `WITH ${advance.cfg},
                up AS (INSERT INTO ${t} AS cur (id, attempts, state, expires_at)
                       SELECT $1::text, $2::integer, ${MARK}, now() + $3::float8 * interval '1 millisecond' FROM cfg WHERE cfg.v IS NOT NULL
                       ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts, expires_at = EXCLUDED.expires_at
                       WHERE cur.attempts < EXCLUDED.attempts OR cur.expires_at <= now()
                       RETURNING attempts, ${advance.inTime})
                SELECT up.attempts AS advanced_value, up.in_time,
                       (SELECT attempts FROM ${t} WHERE id = $1 AND state = ${MARK} AND expires_at > now()) AS current
                FROM (SELECT 1) AS one LEFT JOIN up ON true`,
      mark: `SELECT attempts FROM ${t} WHERE id = $1 AND state = ${MARK} AND expires_at > now()`,
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

  async open(id: string, ttlMs: number, attempts = 0, options?: LedgerCallOptions): Promise<void> {
    await this.#write(options, "open", this.#sql.open, [id, attempts, ttlMs]);
    if (++this.#opens % PURGE_EVERY_OPENS === 0) {
      // Not awaited: housekeeping never adds latency to issuing a code, and a failure only delays it.
      this.purgeExpired().catch(() => undefined);
    }
  }

  async record(id: string, match: boolean, maxAttempts: number, options?: LedgerCallOptions): Promise<RecordResult> {
    const row = (await this.#write<RecordRow>(options, "record", this.#sql.record, [id, match, maxAttempts]))[0]!;
    if (row.new_attempts !== null) return { outcome: row.new_state === CONSUMED ? "approved" : "rejected", attempts: row.new_attempts };
    const refusal = classifyRefusal(row, maxAttempts);
    if (refusal) return refusal;
    // The snapshot predates a concurrent check that took the last attempt or consumed the code.
    // Those states are final, so a fresh read names the refusal correctly.
    return classifyRefusal(await this.#read(id), maxAttempts) ?? { outcome: "exhausted", attempts: maxAttempts };
  }

  async revoke(id: string, options: LedgerRevokeOptions & LedgerCallOptions = {}): Promise<RevokeResult> {
    const row = (await this.#write<RevokeRow>(options, "revoke", this.#sql.revoke, [id, revokedState(options.replaced)]))[0]!;
    if (row.revoked_attempts !== null) return { previous: "pending", attempts: row.revoked_attempts };
    const current = row.state === PENDING && row.live ? await this.#read(id) : row;
    if (current.attempts === null || !current.live) return { previous: "unknown", attempts: 0 };
    return { previous: STATE_NAMES[current.state!] ?? "unknown", attempts: current.attempts };
  }

  async advance(key: string, value: number, ttlMs: number, options?: LedgerCallOptions): Promise<AdvanceResult> {
    const row = (await this.#write<AdvanceRow>(options, "advance", this.#sql.advance, [key, value, ttlMs]))[0]!;
    if (row.advanced_value !== null) return { advanced: true, value };
    // Refused: the statement's snapshot may predate the racing raise that refused it; marks only grow, so a fresh read names it.
    if (row.current !== null && row.current >= value) return { advanced: false, value: row.current };
    const { rows } = await this.#query(() =>
      this.pool.query<{ attempts: number }>({ name: `otp-mark-${this.tableName}`, text: this.#sql.mark, values: [key] }),
    );
    return { advanced: false, value: rows[0]?.attempts ?? value };
  }

  /** One SELECT, bound by the deadline: a read changes nothing, so the bound is the driver's and this call's. */
  async inspect(id: string, options?: LedgerCallOptions): Promise<LedgerEntry> {
    const deadlineMs = deadlineOf("postgres", options, this.#timeoutMs);
    const boundMs = Math.max(1, Math.ceil(deadlineMs - Date.now()));
    const query = Object.assign(
      { name: `otp-inspect-${this.tableName}`, text: this.#sql.inspect, values: [id] },
      { query_timeout: boundMs },
    );
    const row = (await withTimeout(() => this.pool.query<InspectRow>(query), boundMs, "postgres")).rows[0];
    const state = row?.live === true ? STATE_NAMES[row.state!] : undefined;
    if (!row || !state) return { state: "unknown", attempts: 0 };
    return { state, attempts: row.attempts!, expiresAtMs: Math.floor(row.expires_ms) };
  }

  async migrated(): Promise<boolean> {
    return postgresTableExists(this.pool, this.tableName, this.#timeoutMs);
  }

  async health(): Promise<void> {
    await this.#query(() => this.pool.query(`SELECT 1 FROM ${this.tableName} LIMIT 1`));
  }

  /** Deletes up to `limit` expired rows; returns how many. `open` already does this in small steps. */
  async purgeExpired(limit = PURGE_BATCH): Promise<number> {
    const result = await this.#query(() =>
      this.pool.query({ name: `otp-purge-${this.tableName}`, text: this.#sql.purge, values: [limit] }),
    );
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.#owned && !this.pool.ended) await this.pool.end();
  }

  async #read(id: string): Promise<Snapshot> {
    const { rows } = await this.#query(() =>
      this.pool.query<Snapshot>({ name: `otp-read-${this.tableName}`, text: this.#sql.read, values: [id] }),
    );
    return rows[0] ?? { attempts: null, state: null, live: null };
  }

  /**
   * A ledger write bound by its deadline: the statement refuses to apply past it (see the class
   * comment), and the call waits for its answer up to the deadline plus the clock allowance.
   */
  async #write<R extends object>(options: LedgerCallOptions | undefined, name: string, text: string, values: unknown[]): Promise<R[]> {
    const deadlineMs = deadlineOf("postgres", options, this.#timeoutMs);
    const leftMs = Math.max(1, Math.ceil(deadlineMs - Date.now()));
    const boundMs = leftMs + this.#clockSkewMs;
    const query = Object.assign(
      { name: `otp-${name}-${this.tableName}`, text, values: [...values, String(leftMs), deadlineMs] },
      { query_timeout: boundMs },
    );
    try {
      return (await withTimeout(() => this.pool.query<R>(query), boundMs, "postgres")).rows;
    } catch (error) {
      throw asDeadlineError(error);
    }
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

/** A statement the server refused for its deadline (or its lock wait) is a StoreTimeoutError. */
function asDeadlineError(error: unknown): unknown {
  if (error instanceof StoreTimeoutError) return error;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message === "string" && message.includes(DEADLINE_MARK)) return deadlinePassed("postgres");
  // lock_not_available (lock_timeout), query_canceled (statement_timeout)
  if (code === "55P03" || code === "57014")
    return new StoreTimeoutError("postgres", 0, "postgres store: a lock was held until the deadline; nothing was applied");
  return error;
}

/** Names a refused check from a row snapshot, or undefined when the snapshot would have passed. */
function classifyRefusal(row: Snapshot, maxAttempts: number): RecordResult | undefined {
  if (row.attempts === null || !row.live) return { outcome: "unknown", attempts: 0 };
  if (row.state === CONSUMED) return { outcome: "consumed", attempts: row.attempts };
  if (refusesAsRevoked(row.state)) return { outcome: "revoked", attempts: row.attempts };
  if (row.attempts >= maxAttempts) return { outcome: "exhausted", attempts: row.attempts };
  return undefined;
}

/** A ledger in a Postgres table, shared by every process on the database. */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
