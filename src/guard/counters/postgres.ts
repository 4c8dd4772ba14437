import type pg from "pg";
import { withClient } from "../../drivers/pg-work.js";
import { postgresTableExists } from "../../drivers/table-exists.js";
import { tableNameOption } from "../../core/util/sql-identifier.js";
import { StoreTimeoutError } from "../../core/util/with-timeout.js";
import type { CounterStep, CounterStore, StepResult } from "./counter-store.js";
import { generationOf, stepOfGeneration } from "./generation.js";
import { keysOf, planStep, type Window } from "./step.js";

/** Where Postgres counters live. */
export interface PostgresCountersOptions {
  /** The pool (the Postgres store's own, by default). */
  pool: pg.Pool;
  /** Default `otp_guard_counters`. */
  tableName?: string;
}

const PURGE_EVERY = 256;
/** Bound on the catalog read behind `migrated()`. */
const MIGRATED_TIMEOUT_MS = 2000;
const PURGE_BATCH = 256;

interface Row {
  key: string;
  points: number;
  expires_at: string;
}

/**
 * Counters in a Postgres table: each step is one transaction that creates the step's rows if
 * missing, locks them in key order (`FOR UPDATE`, so concurrent steps on one key queue and none
 * deadlock), decides, and writes. `statement_timeout` and `lock_timeout` are set from the
 * deadline inside the transaction, so a step the caller gave up on cannot commit later.
 * The table is created on first use.
 */
export class PostgresCounters implements CounterStore {
  readonly kind = "postgres";
  readonly shared = true;
  /** None: the ledger's statements run on their own connection, so a guarded check is three calls here. */
  readonly ledger = undefined;
  readonly #pool: pg.Pool;
  readonly tableName: string;
  #ready: Promise<void> | undefined;
  #writes = 0;

  constructor(options: PostgresCountersOptions) {
    this.#pool = options.pool;
    this.tableName = tableNameOption("postgresCounters", options.tableName, "otp_guard_counters");
  }

  /** Applies a step atomically: all of it, or nothing when an op refuses or the deadline passed. */
  async apply(step: CounterStep): Promise<StepResult> {
    const leftMs = step.deadlineMs - Date.now();
    if (leftMs <= 0) throw new StoreTimeoutError("guard", 0);
    await this.#ensureTable();
    // A connection of its own for the transaction, listened to while borrowed and closed after a
    // failure (what the server still runs on it is unknown), all within the time left.
    return withClient(this.#pool, Math.max(1, step.deadlineMs - Date.now()), (client) => this.#step(client, step, leftMs));
  }

  async health(): Promise<void> {
    await this.#pool.query("SELECT 1");
  }

  /** Creates the table now rather than on the first step: `otp-actions migrate` runs it. */
  migrate(): Promise<void> {
    return this.#ensureTable();
  }

  migrated(): Promise<boolean> {
    return postgresTableExists(this.#pool, this.tableName, MIGRATED_TIMEOUT_MS);
  }

  async #step(client: pg.PoolClient, step: CounterStep, leftMs: number): Promise<StepResult> {
    const bound = Math.max(1, Math.floor(step.deadlineMs - Date.now()));
    const begin = `BEGIN; SET LOCAL statement_timeout = ${bound}; SET LOCAL lock_timeout = ${bound}`;
    const t = this.tableName;
    if (step.generation === undefined) await client.query(begin);
    else {
      // The generation's row is locked before every other, in the same round trip as BEGIN (a
      // literal: a multi-statement query takes no parameters). A step that waits for it holds no
      // other row, so the key order below still rules out deadlocks. Only a step that raises it
      // locks it for update: checks of one identifier share it, and queue on their counts as before.
      const key = client.escapeLiteral(step.generation);
      const mode = step.ops.some((op) => op.key === step.generation) ? "UPDATE" : "SHARE";
      const results = (await client.query(
        `${begin}; INSERT INTO ${t} (key, points, expires_at) VALUES (${key}, 0, 0) ON CONFLICT (key) DO NOTHING; SELECT key, points, expires_at FROM ${t} WHERE key = ${key} FOR ${mode}`,
      )) as unknown as pg.QueryResult<Row>[];
      const row = results[results.length - 1]!.rows[0]!;
      step = stepOfGeneration(step, generationOf({ points: row.points, expiresAtMs: Number(row.expires_at) }, step.nowMs));
    }
    const keys = keysOf(step);
    await client.query(
      `INSERT INTO ${t} (key, points, expires_at) SELECT k, 0, 0 FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`,
      [keys],
    );
    const { rows } = await client.query<Row>(
      `SELECT key, points, expires_at FROM ${t} WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`,
      [keys],
    );
    const windows = new Map<string, Window>(rows.map((row) => [row.key, { points: row.points, expiresAtMs: Number(row.expires_at) }]));
    const { result, writes } = planStep((key) => windows.get(key), step);
    if (writes.size > 0) {
      const written = [...writes];
      await client.query(
        `UPDATE ${t} AS c SET points = w.points, expires_at = w.expires_at
         FROM unnest($1::text[], $2::int[], $3::bigint[]) AS w(key, points, expires_at) WHERE c.key = w.key`,
        [
          written.map(([key]) => key),
          written.map(([, window]) => window?.points ?? 0),
          written.map(([, window]) => window?.expiresAtMs ?? 0),
        ],
      );
      if (++this.#writes % PURGE_EVERY === 0) {
        await client.query(`DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_at <= $1 LIMIT ${PURGE_BATCH})`, [
          step.nowMs,
        ]);
      }
    }
    // Past the deadline the caller has already answered: roll back rather than commit late.
    if (Date.now() > step.deadlineMs) throw new StoreTimeoutError("guard", leftMs);
    await client.query("COMMIT");
    return result;
  }

  #ensureTable(): Promise<void> {
    const create = () =>
      this.#pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.tableName} (key TEXT PRIMARY KEY, points INTEGER NOT NULL, expires_at BIGINT NOT NULL)`,
      );
    // Two processes creating the table at once can collide (a unique violation in the catalog):
    // the second try finds it made. Any other failure is retried by the next step.
    this.#ready ??= create()
      .catch(() => create())
      .then(
        () => undefined,
        (error: unknown) => {
          this.#ready = undefined;
          throw error;
        },
      );
    return this.#ready;
  }
}

/** Counters in a Postgres table, shared by every process on the database. */
export function postgresCounters(options: PostgresCountersOptions): PostgresCounters {
  return new PostgresCounters(options);
}
