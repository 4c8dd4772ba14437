/**
 * The hourly rollup in Postgres: statement triggers with transition tables keep the counts, one
 * grouped upsert per COPY or DELETE (not one a row), in the transaction of the statement. Rows
 * a resent batch skips (`ON CONFLICT DO NOTHING`) are not in the transition table, so they are
 * not counted twice.
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

/** Postgres's expressions: timestamptz times, jsonb metadata. */
export const POSTGRES_ROLLUP: RollupDialect = {
  // extract(epoch) is numeric: exact, so the hour's bounds fall where SQLite's do.
  hourOf: (at) => `floor(extract(epoch from ${at}) * 1000 / ${HOUR_MS})::bigint`,
  asInt: (condition) => `(${condition})::int`,
  limitName: (metadata) => `CASE WHEN jsonb_typeof(${metadata} -> 'limit') = 'string' THEN ${metadata} ->> 'limit' END`,
};

/** The statements that make the rollup, its triggers and its backfill, in that order (one transaction). */
export function postgresRollupStatements(table: string): string[] {
  const r = rollupTable(table);
  const key = ROLLUP_KEY.join(", ");
  const grouped = (rows: string) =>
    `SELECT ${rollupKeyOf((name) => name, POSTGRES_ROLLUP).join(", ")}, COUNT(*) AS c FROM ${rows}
     WHERE action IN (${ROLLED_UP_ACTIONS}) GROUP BY ${ROLLUP_KEY.map((_, i) => i + 1).join(", ")}`;
  return [
    rollupTableSql(table, ""),
    // Sorted by key, so two batches upserting the same keys take their row locks in one order.
    `CREATE OR REPLACE FUNCTION ${table}_rollup_add() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO ${r} AS r (${key}, count)
         ${grouped("added")} ORDER BY ${ROLLUP_KEY.map((_, i) => i + 1).join(", ")}
         ON CONFLICT (${key}) DO UPDATE SET count = r.count + EXCLUDED.count;
       RETURN NULL;
     END $$`,
    `CREATE OR REPLACE FUNCTION ${table}_rollup_remove() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE ${r} AS r SET count = r.count - g.c FROM (${grouped("removed")}) AS g(${key}, c)
         WHERE ${ROLLUP_KEY.map((name) => `r.${name} = g.${name}`).join(" AND ")};
       DELETE FROM ${r} WHERE count <= 0 AND hour IN (SELECT ${POSTGRES_ROLLUP.hourOf("at")} FROM removed);
       RETURN NULL;
     END $$`,
    `CREATE OR REPLACE TRIGGER ${table}_rollup_add AFTER INSERT ON ${table}
       REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ${table}_rollup_add()`,
    `CREATE OR REPLACE TRIGGER ${table}_rollup_remove AFTER DELETE ON ${table}
       REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION ${table}_rollup_remove()`,
    rollupBackfillSql(table, POSTGRES_ROLLUP),
  ];
}
