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

/** Whether a SQLite index exists: one `migrate()` adds to a table made before it. */
export function sqliteIndexExists(database: BetterSqlite3.Database, index: string): boolean {
  return database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(index) !== undefined;
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

/** Whether a SQLite table has a column: a table made by an older schema may not, until `migrate()` adds it. */
export function sqliteColumnExists(database: BetterSqlite3.Database, table: string, column: string): boolean {
  return database.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?").get(table, column) !== undefined;
}

/** Whether a Postgres table (resolved as `postgresTableExists` does) has a column. */
export async function postgresColumnExists(pool: pg.Pool, table: string, column: string, timeoutMs: number): Promise<boolean> {
  const { rows } = await withTimeout(
    () =>
      pool.query<{ present: boolean }>(
        boundedStatement(
          "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS present",
          timeoutMs,
          [table, column],
        ),
      ),
    timeoutMs,
    "postgres",
  );
  return rows[0]?.present === true;
}
