/**
 * The stats of a SQL audit log: five GROUP BY or window queries over the time range, built once
 * for both SQLite and Postgres (a dialect supplies the few expressions that differ), whose rows
 * `statsFromSql` makes into the same answer the memory log gives. The counts of whole hours come
 * from the hourly rollup (one more query), the rows being read only for the hours it cannot
 * answer (rollup-plan.ts).
 */
import { countryOfPhonePrefix } from "./phone-prefix.js";
import { rollupPlan, type RollupHours } from "./rollup-plan.js";
import { HOUR_MS } from "./rollup-sql.js";
import {
  assembleStats,
  counterOf,
  LOCKED_OUT,
  PERCENTILE_ROWS,
  STATS_COUNTERS,
  zeroCounts,
  type AuditStats,
  type AuditStatsPercentiles,
  type BucketChannelCounts,
  type NormalizedStatsQuery,
  type StatsParts,
} from "./stats.js";

/** What differs between the SQL logs. */
export interface StatsDialect {
  /** Stores a value in `values` and returns its placeholder. */
  param(values: unknown[], value: unknown): string;
  /** A time as the `at` column's parameter. */
  time(ms: number): unknown;
  /** What `at`'s bucket is known by: its index, or its start as a time; `p` stores a value. */
  bucket(p: (value: unknown) => string, q: NormalizedStatsQuery): string;
  /** An integer parameter's placeholder, typed so that division stays integral; `p` stores a value. */
  integer(p: (value: unknown) => string, value: number): string;
  /** The limit name an audit row's metadata carries. */
  limitName: string;
  /** The masked number's visible prefix. */
  phonePrefix: string;
  /** Seconds between two `at` values. */
  secondsBetween(later: string, earlier: string): string;
  /** Makes ORDER BY on text compare code points, as the memory log does. */
  binaryCollation: string;
}

/** One query: its name, text and values. */
export interface StatsStatement {
  name: "cells" | "topIps" | "prefixes" | "checkLatency" | "timeToApprove" | "rollupCells";
  sql: string;
  values: unknown[];
}

const quoted = (text: string) => `'${text}'`;

/** The queries of a stats answer; `rollup` is the hourly rollup's table. */
export function statsStatements(table: string, q: NormalizedStatsQuery, dialect: StatsDialect, rollup: string): StatsStatement[] {
  const plan = rollupPlan(q);
  // `where` and `rowsWhere` are functions called where they stand in the text: SQLite's
  // placeholders are positional, so values are stored in the order the text names them. `where`
  // is the range (from `lower` when given); `rowsWhere` the stretches the rollup does not answer.
  const statement = (
    name: StatsStatement["name"],
    build: (p: (value: unknown) => string, where: (lower?: string) => string, rowsWhere: () => string) => string,
  ): StatsStatement => {
    const values: unknown[] = [];
    const p = (value: unknown) => dialect.param(values, value);
    const filters = () =>
      (q.purpose === undefined ? "" : ` AND purpose = ${p(q.purpose)}`) + (q.channel === undefined ? "" : ` AND channel = ${p(q.channel)}`);
    const range = (fromMs: number, toMs: number, lower = p(dialect.time(fromMs))) => `at >= ${lower} AND at < ${p(dialect.time(toMs))}`;
    const where = (lower?: string) => `${range(q.fromMs, q.toMs, lower)}${filters()}`;
    const rowsWhere = () => {
      const ranges = plan.rowRanges.length > 0 ? plan.rowRanges : [[q.toMs, q.toMs] as [number, number]];
      return `(${ranges.map(([fromMs, toMs]) => range(fromMs, toMs)).join(" OR ")})${filters()}`;
    };
    return { name, sql: build(p, where, rowsWhere), values };
  };
  const counted = [...new Set(STATS_COUNTERS.map(([, action]) => quoted(action)))].join(", ");
  // Exactly the partial indexes' conditions: SQLite uses a partial index only for a query whose
  // WHERE contains its condition as written (`action = 'verified'` alone does not).
  const refusals = "action IN ('failed', 'rate_limited')";
  const checked = "action IN ('verified', 'failed')";
  // Nearest rank, in integers so every log rounds alike: ceil(n/2) and ceil(99n/100).
  // The values are materialised first: inlined, both databases work each one out twice (for
  // the NULL test and for the value), a second index probe a row for the time to approve.
  const percentiles = (values: string) =>
    `WITH v AS MATERIALIZED (${values})
     SELECT rn, n, x FROM (SELECT x, ROW_NUMBER() OVER (ORDER BY x) AS rn, COUNT(*) OVER () AS n FROM v WHERE x IS NOT NULL) r
     WHERE rn = (n + 1) / 2 OR rn = (99 * n + 99) / 100`;
  // The rollup's rows of the whole hours; a NULL purpose or channel is '' with a bit in `nulls`.
  const rollupWhere = (p: (value: unknown) => string, hours: RollupHours) => {
    let text = `hour >= ${dialect.integer(p, hours.first)} AND hour < ${dialect.integer(p, hours.last)}`;
    if (hours.split.length > 0) text += ` AND hour NOT IN (${hours.split.map((hour) => dialect.integer(p, hour)).join(", ")})`;
    if (q.purpose !== undefined) text += ` AND purpose = ${p(q.purpose)} AND nulls & 1 = 0`;
    if (q.channel !== undefined) text += ` AND channel = ${p(q.channel)} AND nulls & 2 = 0`;
    return text;
  };
  const hours = plan.hours;
  const fromRollup: StatsStatement[] =
    hours === undefined
      ? []
      : [
          statement(
            "rollupCells",
            (p) =>
              `SELECT (hour * ${HOUR_MS} - ${dialect.integer(p, q.fromMs)}) / ${dialect.integer(p, q.bucketMs)} AS idx,
                 CASE WHEN nulls & 2 = 0 THEN channel END AS channel, action, locked, CASE WHEN nulls & 4 = 0 THEN lim END AS lim,
                 SUM(count) AS c
               FROM ${rollup} WHERE ${rollupWhere(p, hours)} GROUP BY 1, 2, 3, 4, 5`,
          ),
        ];
  // The time of the N-th newest row of the range matching `condition`, or `from` when there are
  // fewer: the values' one lower bound, so the time index is walked from there, not from `from`.
  const newest = (p: (value: unknown) => string, where: () => string, condition: string) =>
    `COALESCE((SELECT at FROM ${table} WHERE ${where()} AND ${condition}
       ORDER BY at DESC LIMIT 1 OFFSET ${dialect.integer(p, PERCENTILE_ROWS - 1)}), ${p(dialect.time(q.fromMs))})`;
  return [
    ...fromRollup,
    // Plain counts by bucket, channel, action, lockout and (for a rate-limited row) limit, summed
    // into counters afterwards: a third of the time of seven conditional sums a row, and one pass
    // over the rows for the counts and the limits both.
    statement(
      "cells",
      (p, _, rowsWhere) =>
        `SELECT ${dialect.bucket(p, q)} AS idx, channel, action, status = ${quoted(LOCKED_OUT)} AS locked,
           CASE WHEN action = 'rate_limited' AND status <> ${quoted(LOCKED_OUT)} THEN ${dialect.limitName} END AS lim, COUNT(*) AS c
         FROM ${table} WHERE ${rowsWhere()} AND action IN (${counted}) GROUP BY 1, 2, 3, 4, 5`,
    ),
    statement(
      "topIps",
      (p, where) =>
        `SELECT client_ip AS value, COUNT(*) AS c FROM ${table} WHERE ${where()} AND ${refusals} AND client_ip IS NOT NULL
         GROUP BY client_ip ORDER BY c DESC, client_ip${dialect.binaryCollation} LIMIT ${p(q.top)}`,
    ),
    statement(
      "prefixes",
      (_, where) =>
        `SELECT ${dialect.phonePrefix} AS value, COUNT(*) AS c FROM ${table}
         WHERE ${where()} AND ${refusals} AND identifier_masked LIKE '+%' GROUP BY 1`,
    ),
    // Over the newest PERCENTILE_ROWS rows of the range (and any sharing the oldest one's time):
    // the N-th newest row's time is found walking the time index backwards, then those rows read.
    statement("checkLatency", (p, where) => {
      const checks = `${checked} AND duration_ms IS NOT NULL`;
      return percentiles(`SELECT duration_ms AS x FROM ${table} WHERE ${where(newest(p, where, checks))} AND ${checks}`);
    }),
    // The first `generated` row of each verified verification, found through the partial index
    // on generated rows' verification ids; it may lie before the range.
    statement("timeToApprove", (p, where) => {
      const approvals = `${checked} AND action = 'verified' AND verification_id IS NOT NULL`;
      return percentiles(
        `SELECT ${dialect.secondsBetween(
          "at",
          `(SELECT MIN(g.at) FROM ${table} g WHERE g.verification_id = ${table}.verification_id AND g.action = 'generated')`,
        )} AS x
         FROM ${table} WHERE ${where(newest(p, where, approvals))} AND ${approvals}`,
      );
    }),
  ];
}

type Row = Record<string, unknown>;

function percentilesFrom(rows: Row[]): AuditStatsPercentiles {
  const result: AuditStatsPercentiles = { p50: null, p99: null };
  for (const row of rows) {
    const rn = Number(row.rn);
    const n = Number(row.n);
    const x = Number(row.x);
    if (rn === Math.floor((n + 1) / 2)) result.p50 = x;
    if (rn === Math.floor((99 * n + 99) / 100)) result.p99 = x;
  }
  return result;
}

/** What the statements answered, by name; the rollup's only when the range used it. */
export type StatsResults = Record<Exclude<StatsStatement["name"], "rollupCells">, Row[]> & Partial<Record<"rollupCells", Row[]>>;

/** The answer from each statement's rows, by statement name. */
export function statsFromSql(q: NormalizedStatsQuery, results: StatsResults): AuditStats {
  const cells: BucketChannelCounts[] = [];
  // Rate-limited counts by limit, the rollup's and the rows' summed.
  const byLimit = new Map<string | null, number>();
  for (const row of [...(results.rollupCells ?? []), ...results.cells]) {
    const counter = counterOf(String(row.action), row.locked === true || Number(row.locked) === 1 ? LOCKED_OUT : "");
    if (counter === undefined) continue;
    if (counter === "rateLimited") {
      const limit = (row.lim as string | null) ?? null;
      byLimit.set(limit, (byLimit.get(limit) ?? 0) + Number(row.c));
    }
    // An index, or (Postgres) the bucket's start.
    const index = row.idx instanceof Date ? Math.round((row.idx.getTime() - q.fromMs) / q.bucketMs) : Number(row.idx);
    const cell: BucketChannelCounts = { index, channel: (row.channel as string | null) ?? null, ...zeroCounts() };
    cell[counter] = Number(row.c);
    cells.push(cell);
  }
  const parts: StatsParts = {
    cells,
    byLimit: [...byLimit].map(([limit, count]) => ({ limit, count })),
    topIps: results.topIps.map((row) => ({ value: String(row.value), count: Number(row.c) })),
    prefixes: results.prefixes.map((row) => [String(row.value), Number(row.c)]),
    checkLatencyMs: percentilesFrom(results.checkLatency),
    timeToApproveSeconds: percentilesFrom(results.timeToApprove),
  };
  return assembleStats(q, parts, countryOfPhonePrefix);
}
