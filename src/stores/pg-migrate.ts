import type pg from "pg";

/** Runs `work` in one transaction on `client`: committed if it resolves, rolled back if it throws. */
export async function inTransaction(client: pg.PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query("BEGIN");
  try {
    await work();
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * Runs `statements` in one transaction under an advisory lock named after `table`: instances that
 * start together would otherwise race on `CREATE … IF NOT EXISTS`. Idempotent by the statements.
 */
export async function migratePostgres(client: pg.PoolClient, table: string, statements: readonly string[]): Promise<void> {
  try {
    await inTransaction(client, async () => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`otp-actions:migrate:${table}`]);
      for (const statement of statements) await client.query(statement);
    });
  } finally {
    client.release();
  }
}
