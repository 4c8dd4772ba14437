/** What the stats SQL says its own way in Postgres (see StatsDialect). */
import type { StatsDialect } from "./stats-sql.js";

/** Stats SQL in Postgres: timestamptz times, jsonb metadata. */
export const POSTGRES_STATS: StatsDialect = {
  param: (values, value) => `$${values.push(value)}`,
  time: (ms) => new Date(ms),
  integer: (p, value) => `${p(String(value))}::bigint`,
  // The bucket's start: date_bin works on the timestamps' integers, where extract(epoch) is numeric.
  bucket: (p, q) => `date_bin(${p(`${q.bucketMs} milliseconds`)}::interval, at, ${p(new Date(q.fromMs))}::timestamptz)`,
  limitName: "CASE WHEN jsonb_typeof(metadata -> 'limit') = 'string' THEN metadata ->> 'limit' END",
  phonePrefix: "split_part(identifier_masked, '*', 1)",
  secondsBetween: (later, earlier) => `extract(epoch from (${later} - ${earlier}))::float8`,
  binaryCollation: ' COLLATE "C"',
};
