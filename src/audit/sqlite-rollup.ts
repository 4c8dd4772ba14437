/**
 * The hourly rollup in SQLite: a row trigger on insert and on delete keeps the counts, in the
 * transaction of the statement that changed the rows, whichever connection runs it (the worker
 * writer's, `purge`, or an operator's own DELETE). `INSERT OR IGNORE` fires nothing for a row
 * already there, so a batch written twice is counted once.
 */
import {
  HOUR_MS,
  ROLLED_UP_ACTIONS,
  ROLLUP_KEY,
  rollupBackfillSql,
  rollupKeyOf,
  rollupTable,
  rollupTableSql,
  type RollupDialect,
} from "./rollup-sql.js";

/** SQLite's expressions: `at` in epoch milliseconds, metadata as JSON text. */
export const SQLITE_ROLLUP: RollupDialect = {
  // Rounded down for times before 1970 too (SQLite's % and / truncate towards zero).
  hourOf: (at) => `((${at} - ((${at} % ${HOUR_MS}) + ${HOUR_MS}) % ${HOUR_MS}) / ${HOUR_MS})`,
  asInt: (condition) => `(${condition})`,
  limitName: (metadata) => `CASE WHEN json_type(${metadata}, '$.limit') = 'text' THEN json_extract(${metadata}, '$.limit') END`,
};

/** The rollup table, its triggers and the backfill of rows written before it, in that order. */
export function sqliteRollupSql(table: string): string {
  const r = rollupTable(table);
  const keyOf = (row: "NEW" | "OLD") => rollupKeyOf((name) => `${row}.${name}`, SQLITE_ROLLUP);
  const matches = (row: "NEW" | "OLD") =>
    keyOf(row)
      .map((value, i) => `${ROLLUP_KEY[i]} = ${value}`)
      .join(" AND ");
  return `
    ${rollupTableSql(table, " WITHOUT ROWID")};
    CREATE TRIGGER IF NOT EXISTS ${table}_rollup_add AFTER INSERT ON ${table} WHEN NEW.action IN (${ROLLED_UP_ACTIONS})
    BEGIN
      INSERT INTO ${r} (${ROLLUP_KEY.join(", ")}, count) VALUES (${keyOf("NEW").join(", ")}, 1)
        ON CONFLICT (${ROLLUP_KEY.join(", ")}) DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER IF NOT EXISTS ${table}_rollup_remove AFTER DELETE ON ${table} WHEN OLD.action IN (${ROLLED_UP_ACTIONS})
    BEGIN
      UPDATE ${r} SET count = count - 1 WHERE ${matches("OLD")};
      DELETE FROM ${r} WHERE ${matches("OLD")} AND count <= 0;
    END;
    ${rollupBackfillSql(table, SQLITE_ROLLUP)};
  `;
}
