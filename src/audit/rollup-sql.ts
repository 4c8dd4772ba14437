/**
 * The hourly rollup of a SQL audit log: per hour, purpose, channel, action, lockout and limit, how
 * many rows there are. Triggers keep it as rows are inserted and deleted (in the same transaction),
 * so the stats read whole hours from it instead of every row of a long range.
 */
import { LOCKED_OUT, STATS_COUNTERS } from "./stats.js";

/** An hour in milliseconds: the rollup's grain. */
export const HOUR_MS = 3_600_000;

/** The rollup's key columns, in order. */
export const ROLLUP_KEY = ["hour", "purpose", "channel", "action", "locked", "lim", "nulls"] as const;

/** The actions the stats count: only their rows are rolled up. */
export const ROLLED_UP_ACTIONS = [...new Set(STATS_COUNTERS.map(([, action]) => `'${action}'`))].join(", ");

/** What differs between the SQL logs' rollups. */
export interface RollupDialect {
  /** The hour (whole hours since the epoch, rounded down) of an `at` expression. */
  hourOf(at: string): string;
  /** A boolean expression as 0 or 1. */
  asInt(condition: string): string;
  /** The limit name the metadata expression carries, or NULL. */
  limitName(metadata: string): string;
}

/** The rollup table of an audit table. */
export function rollupTable(table: string): string {
  return `${table}_hourly`;
}

/**
 * The key of a row, in ROLLUP_KEY order; `col` names a column of the row (`NEW.at`, `at`).
 * Key columns are NOT NULL (a NULL would never match in a unique key): a NULL purpose, channel
 * or limit is stored as '' with a bit set in `nulls` (1, 2, 4), so '' and NULL stay apart.
 */
export function rollupKeyOf(col: (name: string) => string, dialect: RollupDialect): string[] {
  const limit = `CASE WHEN ${col("action")} = 'rate_limited' AND ${col("status")} <> '${LOCKED_OUT}' THEN ${dialect.limitName(col("metadata"))} END`;
  return [
    dialect.hourOf(col("at")),
    `COALESCE(${col("purpose")}, '')`,
    `COALESCE(${col("channel")}, '')`,
    col("action"),
    dialect.asInt(`${col("status")} = '${LOCKED_OUT}'`),
    `COALESCE(${limit}, '')`,
    `CASE WHEN ${col("purpose")} IS NULL THEN 1 ELSE 0 END + CASE WHEN ${col("channel")} IS NULL THEN 2 ELSE 0 END + CASE WHEN ${limit} IS NULL THEN 4 ELSE 0 END`,
  ];
}

/** The rollup table's definition; `suffix` is SQLite's `WITHOUT ROWID` or nothing. */
export function rollupTableSql(table: string, suffix: string): string {
  return `CREATE TABLE IF NOT EXISTS ${rollupTable(table)} (
    hour bigint NOT NULL,
    purpose text NOT NULL,
    channel text NOT NULL,
    action text NOT NULL,
    locked integer NOT NULL,
    lim text NOT NULL,
    nulls integer NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (${ROLLUP_KEY.join(", ")})
  )${suffix}`;
}

/**
 * Counts every counted row of the table into an empty rollup: a table made before the rollup
 * gains its past this way. Run after the triggers exist and with writes held off, so no row is
 * counted twice or missed; a rollup with any row in it is left as it is, so running it again
 * does nothing.
 */
export function rollupBackfillSql(table: string, dialect: RollupDialect): string {
  const r = rollupTable(table);
  return `INSERT INTO ${r} (${ROLLUP_KEY.join(", ")}, count)
    SELECT ${rollupKeyOf((name) => name, dialect).join(", ")}, COUNT(*) FROM ${table}
    WHERE action IN (${ROLLED_UP_ACTIONS}) AND NOT EXISTS (SELECT 1 FROM ${r})
    GROUP BY ${ROLLUP_KEY.map((_, i) => i + 1).join(", ")}`;
}
