// In drivers/, not stores/: the Postgres ledger and the Postgres audit log (which may share one pool) both do their pooled work through it.
/**
 * Work on a connection checked out of a pg pool (a transaction, a COPY, a migration), and the
 * choice of that pool, shared by the Postgres store and the Postgres audit log, which may share one.
 */
import type pg from "pg";
import { withTimeout } from "../core/util/with-timeout.js";

/**
 * `text` with a driver read timeout of its own. A pool's `query_timeout` belongs to whoever built
 * the pool: on the store's pool it is the store's bound, shorter than what the audit log allows
 * a batch. Set per statement, the caller's bound is the one that applies.
 */
export function boundedStatement(text: string, timeoutMs: number, values?: unknown[]): pg.QueryConfig {
  return Object.assign({ text, values }, { query_timeout: timeoutMs });
}

/**
 * Runs `work` on a connection of its own from `pool`: connecting within `timeoutMs`, then the work
 * within `timeoutMs`. Every caller runs a transaction or a COPY on it. After one fails, what the
 * server still runs on the connection is unknown: a statement the driver gave up on keeps running
 * (holding its locks, or its transaction open), and a ROLLBACK queues behind it. Pooled again, that
 * connection would carry the next caller's statements into a transaction never committed, rolled
 * back with everything in it when the connection ends. So after any failure it is closed; the
 * server rolls back what it left. A connection whose work succeeded goes back to the pool.
 *
 * While it is out of the pool a connection has no listener of the pool's: pg emits `error` on a
 * connection that drops (a failover, a restart, a proxy cut), and an `error` event nobody listens
 * to ends the process. So the connection is listened to for as long as it is borrowed, and a drop
 * fails the work in hand, even between two statements, when no query is there to carry it.
 */
export async function withClient<T>(pool: pg.Pool, timeoutMs: number, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await connectWithin(pool, timeoutMs);
  let onError!: (error: Error) => void;
  const dropped = new Promise<never>((_, reject) => (onError = reject));
  dropped.catch(() => undefined);
  client.on("error", onError);
  let result: T;
  try {
    // The bound starts before the work, so it fires ahead of a statement's read timeout of the
    // same length: a timeout reaches the caller as a StoreTimeoutError.
    result = await withTimeout(() => Promise.race([work(client), dropped]), timeoutMs, "postgres");
  } catch (error) {
    // The listener stays: a closing connection can still report its drop, and it is never pooled again.
    client.release(true);
    throw error;
  }
  client.off("error", onError);
  client.release();
  return result;
}

/** A connection from `pool` within `timeoutMs`. One that arrives after the bound is fresh: it goes back to the pool. */
async function connectWithin(pool: pg.Pool, timeoutMs: number): Promise<pg.PoolClient> {
  const connecting = pool.connect();
  try {
    return await withTimeout(connecting, timeoutMs, "postgres");
  } catch (error) {
    connecting.then(
      (late) => late.release(),
      () => undefined,
    );
    throw error;
  }
}

/**
 * Runs `work` in one transaction on `client`: committed if it resolves, rolled back if it throws.
 * The ROLLBACK only lets go of locks sooner when the server can still take it; the caller closes
 * the connection after a failure all the same (see withClient).
 */
export async function inTransaction(client: pg.PoolClient, timeoutMs: number, work: () => Promise<void>): Promise<void> {
  await client.query(boundedStatement("BEGIN", timeoutMs));
  try {
    await work();
    await client.query(boundedStatement("COMMIT", timeoutMs));
  } catch (error) {
    await client.query(boundedStatement("ROLLBACK", timeoutMs)).catch(() => undefined);
    throw error;
  }
}

export interface Migration {
  /** The table the statements create; it names the advisory lock. */
  table: string;
  statements: readonly string[];
  /** Bound on connecting and on the whole migration. */
  timeoutMs: number;
}

/**
 * Runs the statements in one transaction under an advisory lock named after the table: instances
 * that start together would otherwise race on `CREATE … IF NOT EXISTS`. Idempotent by the
 * statements. An instance that waits past its bound for another's migration gives up, and its
 * connection is closed with the lock request still pending (see withClient).
 */
export async function migratePostgres(pool: pg.Pool, migration: Migration): Promise<void> {
  const { table, statements, timeoutMs } = migration;
  await withClient(pool, timeoutMs, (client) =>
    inTransaction(client, timeoutMs, async () => {
      await client.query(boundedStatement("SELECT pg_advisory_xact_lock(hashtext($1))", timeoutMs, [`otp-actions:migrate:${table}`]));
      for (const statement of statements) await client.query(boundedStatement(statement, timeoutMs));
    }),
  );
}

/**
 * The pool a Postgres module's options name: the caller's `pool`, left open on close (`owned`
 * false), or one `build` makes from `connectionString`, closed on close. `name` is the factory's,
 * for the error when neither is given.
 */
export function poolFromOptions(
  options: { pool?: pg.Pool; connectionString?: string },
  name: string,
  build: (connectionString: string) => pg.Pool,
): { pool: pg.Pool; owned: boolean } {
  if (options.pool) return { pool: options.pool, owned: false };
  if (typeof options.connectionString === "string") return { pool: build(options.connectionString), owned: true };
  throw new TypeError(`otp-actions: ${name} needs \`pool\` or \`connectionString\``);
}
