/**
 * Aggregates over the audit log for an operator's overview: counts per time bucket, totals,
 * deliveries by channel, conversion, latencies and the heaviest sources of refusals. Every log
 * answers the same query with the same numbers; this file holds what they share: the query's
 * checks, the bucket arithmetic, each count's definition and the answer's assembly.
 */
import { OtpError } from "../core/errors.js";
import type { AuditAction } from "./audit-log.js";

/** Bucket widths a stats query can ask for. */
export const STATS_BUCKETS = ["minute", "hour", "day"] as const;
/** One of `STATS_BUCKETS`. */
export type StatsBucket = (typeof STATS_BUCKETS)[number];

const BUCKET_MS: Record<StatsBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** More buckets than this is refused: a chart has no use for them and the answer would grow without bound. */
export const MAX_STATS_BUCKETS = 200;
/** The longest range a stats query covers. */
export const MAX_STATS_RANGE_DAYS = 400;
/**
 * The percentiles are taken over at most this many of the range's newest values (with every
 * other value of the same time as the oldest of them): a month of a busy log has millions, which
 * no overview can sort in the time it has, and the newest twenty thousand describe it as well.
 */
export const PERCENTILE_ROWS = 20_000;
/** `top` when the query does not say. */
export const DEFAULT_STATS_TOP = 10;
const MAX_STATS_TOP = 50;

/** What `AuditLog.stats` is asked. */
export interface AuditStatsQuery {
  /** Inclusive. */
  from: Date;
  /** Exclusive; at most 400 days after `from`. */
  to: Date;
  /** Width of each bucket; default the finest that gives at most 200 buckets over the range. */
  bucket?: StatsBucket;
  /** Only rows of this purpose. */
  purpose?: string;
  /** Only rows of this channel. */
  channel?: string;
  /** Entries in each top list, 1-50. Default 10. */
  top?: number;
}

/**
 * The counts of one bucket (or of the whole range), one audit row each:
 * - `sent`: `generated` rows (a code issued, a resend's included);
 * - `delivered`: `delivered` rows; `deliveryFailed`: `delivery_failed` rows;
 * - `approved`: `verified` rows;
 * - `failedChecks`: `failed` rows (wrong codes, and checks refused before the code was compared);
 * - `lockouts`: `rate_limited` rows with status `LOCKED_OUT`;
 * - `rateLimited`: the other `rate_limited` rows (a send or check refused by a limit).
 */
export interface AuditStatsCounts {
  /** `generated` rows. */
  sent: number;
  /** `delivered` rows. */
  delivered: number;
  /** `delivery_failed` rows. */
  deliveryFailed: number;
  /** `verified` rows. */
  approved: number;
  /** `failed` rows. */
  failedChecks: number;
  /** `rate_limited` rows with status `LOCKED_OUT`. */
  lockouts: number;
  /** `rate_limited` rows with any other status. */
  rateLimited: number;
}

/** One bucket of the series. */
export interface AuditStatsBucket extends AuditStatsCounts {
  /** Where the bucket starts: `from` plus a whole number of bucket widths. */
  at: Date;
}

/** Nearest-rank percentiles (the smallest value at or above the given share of values); null when there are none. */
export interface AuditStatsPercentiles {
  /** Median. */
  p50: number | null;
  /** 99th percentile. */
  p99: number | null;
}

/** A value and how many refusals it had. */
export interface AuditStatsTopEntry {
  /** An IP address, a number prefix (`+1415`) or an ISO country (`US`). */
  value: string;
  /** Refusals: failed checks, rate-limited requests and lockouts. */
  count: number;
}

/** Rate-limited refusals under one limit. */
export interface AuditStatsLimitCount {
  /** The limit's name, as the refusal's row carries it in its metadata; null where the row names none. */
  limit: string | null;
  /** `rateLimited` rows under it. */
  count: number;
}

/** Deliveries of one channel. */
export interface AuditStatsChannel {
  /** The channel's name. */
  channel: string;
  /** `delivered` rows. */
  delivered: number;
  /** `delivery_failed` rows. */
  failed: number;
}

/** What `AuditLog.stats` answers. */
export interface AuditStats {
  /** The range and bucket the answer covers. */
  from: Date;
  /** Exclusive. */
  to: Date;
  /** The bucket width used. */
  bucket: StatsBucket;
  /** Every bucket of the range, oldest first, zero-filled. */
  series: AuditStatsBucket[];
  /** The counts over the whole range. */
  totals: AuditStatsCounts;
  /** Rate-limited refusals (lockouts not included) by the name of the limit. Most first. */
  rateLimitedByLimit: AuditStatsLimitCount[];
  /** Deliveries and failed deliveries per channel, by channel name. */
  deliveryByChannel: AuditStatsChannel[];
  /** `approved ÷ sent`; null when nothing was sent. */
  conversionRate: number | null;
  /** Seconds from a verification's first `generated` row to its `verified` row, over the newest `PERCENTILE_ROWS` verified rows in range. */
  timeToApproveSeconds: AuditStatsPercentiles;
  /** Milliseconds each check took in the engine, over the newest `PERCENTILE_ROWS` `verified` and `failed` rows that carry it. */
  checkLatencyMs: AuditStatsPercentiles;
  /** Client IPs with the most refusals. */
  topIps: AuditStatsTopEntry[];
  /** Phone number prefixes (what the masked number shows: `+` and four digits) with the most refusals. */
  topPrefixes: AuditStatsTopEntry[];
  /** Countries (ISO 3166 alpha-2, from the number's prefix) with the most refusals. */
  topCountries: AuditStatsTopEntry[];
}

/** A stats query checked, with the bucket chosen. */
export interface NormalizedStatsQuery {
  fromMs: number;
  toMs: number;
  bucket: StatsBucket;
  bucketMs: number;
  buckets: number;
  purpose?: string;
  channel?: string;
  top: number;
}

/** The counters in answer order, and the rows each counts (action, and whether the status is LOCKED_OUT). */
export const STATS_COUNTERS = [
  ["sent", "generated", undefined],
  ["delivered", "delivered", undefined],
  ["deliveryFailed", "delivery_failed", undefined],
  ["approved", "verified", undefined],
  ["failedChecks", "failed", undefined],
  ["lockouts", "rate_limited", true],
  ["rateLimited", "rate_limited", false],
] as const satisfies ReadonlyArray<readonly [keyof AuditStatsCounts, AuditAction, boolean | undefined]>;

/** The status of a lockout row. */
export const LOCKED_OUT = "LOCKED_OUT";
/** Actions whose rows are refusals, for the top lists. */
export const REFUSAL_ACTIONS: readonly AuditAction[] = ["failed", "rate_limited"];

function invalid(message: string): OtpError {
  return new OtpError("INVALID_REQUEST", { message });
}

function checkedTime(value: unknown, name: string): number {
  const ms = value instanceof Date ? value.getTime() : NaN;
  // Years 0-9999, as the audit filters: every log stores these.
  if (!Number.isInteger(ms) || ms < Date.parse("0000-01-01T00:00:00Z") || ms > Date.parse("9999-12-31T23:59:59.999Z"))
    throw invalid(`${name} must be a valid Date from year 0 to 9999.`);
  return ms;
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 256) throw invalid(`${name} must be a string of 1-256 characters.`);
  return value;
}

/** Checks a stats query and picks its bucket; bad input is INVALID_REQUEST. */
export function normalizeStatsQuery(query: AuditStatsQuery): NormalizedStatsQuery {
  if (typeof query !== "object" || query === null) throw invalid("The stats query must be an object.");
  const fromMs = checkedTime(query.from, "from");
  const toMs = checkedTime(query.to, "to");
  if (fromMs > toMs) throw invalid("from must not be after to.");
  if (toMs - fromMs > MAX_STATS_RANGE_DAYS * BUCKET_MS.day) throw invalid(`The range must be at most ${MAX_STATS_RANGE_DAYS} days.`);
  const top = query.top ?? DEFAULT_STATS_TOP;
  if (!Number.isInteger(top) || top < 1 || top > MAX_STATS_TOP) throw invalid(`top must be an integer from 1 to ${MAX_STATS_TOP}.`);
  let bucket = query.bucket;
  if (bucket === undefined) bucket = STATS_BUCKETS.find((b) => bucketCount(fromMs, toMs, BUCKET_MS[b]) <= MAX_STATS_BUCKETS) ?? "day";
  else if (!(STATS_BUCKETS as readonly string[]).includes(bucket)) throw invalid(`bucket must be one of ${STATS_BUCKETS.join(", ")}.`);
  const bucketMs = BUCKET_MS[bucket];
  const buckets = bucketCount(fromMs, toMs, bucketMs);
  if (buckets > MAX_STATS_BUCKETS)
    throw invalid(`The range holds ${buckets} ${bucket}s: at most ${MAX_STATS_BUCKETS} buckets, choose a wider bucket.`);
  const normalized: NormalizedStatsQuery = { fromMs, toMs, bucket, bucketMs, buckets, top };
  const purpose = optionalText(query.purpose, "purpose");
  const channel = optionalText(query.channel, "channel");
  if (purpose !== undefined) normalized.purpose = purpose;
  if (channel !== undefined) normalized.channel = channel;
  return normalized;
}

function bucketCount(fromMs: number, toMs: number, bucketMs: number): number {
  return Math.ceil((toMs - fromMs) / bucketMs);
}

/** Counts all zero. */
export function zeroCounts(): AuditStatsCounts {
  return { sent: 0, delivered: 0, deliveryFailed: 0, approved: 0, failedChecks: 0, lockouts: 0, rateLimited: 0 };
}

/** Which counter a row adds to, if any. */
export function counterOf(action: string, status: string): keyof AuditStatsCounts | undefined {
  for (const [name, counted, lockout] of STATS_COUNTERS) {
    if (action !== counted) continue;
    if (lockout === undefined || lockout === (status === LOCKED_OUT)) return name;
  }
  return undefined;
}

/** The nearest rank of a percentile among `n` sorted values (1-based): the smallest rank r with r/n ≥ p. */
export function nearestRank(percent: 50 | 99, n: number): number {
  return Math.floor((percent * n + 99) / 100);
}

/**
 * The newest `PERCENTILE_ROWS` items (at their time, most recent first) and every other item at
 * the oldest one's time: what the percentiles are taken over.
 */
export function newestForPercentiles<T>(items: readonly T[], atMs: (item: T) => number): T[] {
  if (items.length <= PERCENTILE_ROWS) return [...items];
  const times = items.map(atMs).sort((a, b) => b - a);
  const cutoff = times[PERCENTILE_ROWS - 1]!;
  return items.filter((item) => atMs(item) >= cutoff);
}

/** Percentiles of values sorted ascending. */
export function percentilesOf(sorted: readonly number[]): AuditStatsPercentiles {
  if (sorted.length === 0) return { p50: null, p99: null };
  return { p50: sorted[nearestRank(50, sorted.length) - 1]!, p99: sorted[nearestRank(99, sorted.length) - 1]! };
}

/** Most first, then by value (code-unit order), at most `top`. */
export function topEntries(counts: Iterable<[string, number]>, top: number): AuditStatsTopEntry[] {
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, top)
    .map(([value, count]) => ({ value, count }));
}

/** Counts of one bucket and channel, as a log's query returns them. */
export interface BucketChannelCounts extends AuditStatsCounts {
  /** Bucket index from `from`. */
  index: number;
  channel: string | null;
}

/** What each log computes its own way; `assembleStats` makes the answer of it. */
export interface StatsParts {
  cells: BucketChannelCounts[];
  byLimit: AuditStatsLimitCount[];
  topIps: AuditStatsTopEntry[];
  /** Refusals per prefix, every prefix (the countries are summed from them). */
  prefixes: Array<[string, number]>;
  timeToApproveSeconds: AuditStatsPercentiles;
  checkLatencyMs: AuditStatsPercentiles;
}

/** The answer: the series zero-filled, totals and channels summed, countries from the prefixes. */
export function assembleStats(q: NormalizedStatsQuery, parts: StatsParts, countryOf: (prefix: string) => string | null): AuditStats {
  const series: AuditStatsBucket[] = Array.from({ length: q.buckets }, (_, i) => ({
    at: new Date(q.fromMs + i * q.bucketMs),
    ...zeroCounts(),
  }));
  const totals = zeroCounts();
  const channels = new Map<string, AuditStatsChannel>();
  for (const cell of parts.cells) {
    const bucket = series[cell.index];
    if (bucket === undefined) continue;
    for (const [name] of STATS_COUNTERS) {
      bucket[name] += cell[name];
      totals[name] += cell[name];
    }
    if (cell.channel !== null && (cell.delivered > 0 || cell.deliveryFailed > 0)) {
      const entry = channels.get(cell.channel) ?? { channel: cell.channel, delivered: 0, failed: 0 };
      entry.delivered += cell.delivered;
      entry.failed += cell.deliveryFailed;
      channels.set(cell.channel, entry);
    }
  }
  const countries = new Map<string, number>();
  for (const [prefix, count] of parts.prefixes) {
    const country = countryOf(prefix);
    if (country !== null) countries.set(country, (countries.get(country) ?? 0) + count);
  }
  return {
    from: new Date(q.fromMs),
    to: new Date(q.toMs),
    bucket: q.bucket,
    series,
    totals,
    // Most first; ties by name in code-point order, an unnamed limit last.
    rateLimitedByLimit: [...parts.byLimit].sort(
      (a, b) => b.count - a.count || (a.limit === b.limit ? 0 : a.limit === null ? 1 : b.limit === null || a.limit < b.limit ? -1 : 1),
    ),
    deliveryByChannel: [...channels.values()].sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0)),
    conversionRate: totals.sent === 0 ? null : totals.approved / totals.sent,
    timeToApproveSeconds: parts.timeToApproveSeconds,
    checkLatencyMs: parts.checkLatencyMs,
    topIps: parts.topIps,
    topPrefixes: topEntries(parts.prefixes, q.top),
    topCountries: topEntries(countries, q.top),
  };
}
