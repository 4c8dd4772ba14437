/**
 * Whether a table has a column, read from the catalog: a column added to an existing table by a
 * later `migrate()` is part of what `migrated()` must find.
 */
import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { withTimeout } from "../core/util/with-timeout.js";
import { boundedStatement } from "./pg-work.js";

/** True when the SQLite table exists and has the column. */
export function sqliteColumnExists(database: BetterSqlite3.Database, table: string, column: string): boolean {
  return database.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?").get(table, column) !== undefined;
}

/** True when the Postgres table (resolved against the search_path) exists and has the column. */
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
