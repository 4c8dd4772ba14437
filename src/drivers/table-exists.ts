// In drivers/: the SQL ledgers, the guard's counters and the audit logs all answer `migrated()` with it.
/**
 * Whether a table exists, read from the catalog without touching the table: the read-only check
 * behind `migrated()`, which a production start runs before it serves anything.
 */
import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { boundedStatement } from "./pg-work.js";
import { withTimeout } from "../core/util/with-timeout.js";

export function sqliteTableExists(database: BetterSqlite3.Database, table: string): boolean {
  return database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** Resolved against the connection's search_path, as the unqualified names in every statement are. */
export async function postgresTableExists(pool: pg.Pool, table: string, timeoutMs: number): Promise<boolean> {
  const { rows } = await withTimeout(
    () => pool.query<{ present: boolean }>(boundedStatement("SELECT to_regclass($1) IS NOT NULL AS present", timeoutMs, [table])),
    timeoutMs,
    "postgres",
  );
  return rows[0]?.present === true;
}
