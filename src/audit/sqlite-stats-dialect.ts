/** What the stats SQL says its own way in SQLite (see StatsDialect). */
import type { StatsDialect } from "./stats-sql.js";

/** Stats SQL in SQLite: times are epoch milliseconds, metadata JSON text. */
export const SQLITE_STATS: StatsDialect = {
  param: (values, value) => {
    values.push(value);
    return "?";
  },
  time: (ms) => ms,
  integer: (p, value) => p(BigInt(value)),
  // Integers bound as BigInt: a JavaScript number is bound as a float, and the division would
  // then give a fraction, one group a row.
  bucket: (p, q) => `(at - ${p(BigInt(q.fromMs))}) / ${p(BigInt(q.bucketMs))}`,
  limitName: "CASE WHEN json_type(metadata, '$.limit') = 'text' THEN json_extract(metadata, '$.limit') END",
  phonePrefix:
    "substr(identifier_masked, 1, CASE instr(identifier_masked, '*') WHEN 0 THEN length(identifier_masked) ELSE instr(identifier_masked, '*') - 1 END)",
  secondsBetween: (later, earlier) => `(${later} - ${earlier}) / 1000.0`,
  binaryCollation: "",
};
