/**
 * POST /v1/audit/stats: its body (AuditStatsQuery) and its answer (AuditStats), named schemas
 * added to the app with the others in schemas.ts.
 */
import { NAME_PATTERN } from "../../core/limits.js";
import { MAX_STATS_BUCKETS, MAX_STATS_RANGE_DAYS, STATS_BUCKETS } from "../../audit/stats.js";

const timestamp = { type: "string", format: "date-time" } as const;
const count = { type: "integer", minimum: 0 } as const;
const COUNTER_NAMES = ["sent", "delivered", "deliveryFailed", "approved", "failedChecks", "lockouts", "rateLimited"] as const;
const counterProperties = {
  sent: { ...count, description: "`generated` rows: codes issued, resends included." },
  delivered: { ...count, description: "`delivered` rows." },
  deliveryFailed: { ...count, description: "`delivery_failed` rows." },
  approved: { ...count, description: "`verified` rows." },
  failedChecks: { ...count, description: "`failed` rows: wrong codes, and checks refused before the code was compared." },
  lockouts: { ...count, description: "`rate_limited` rows with status LOCKED_OUT." },
  rateLimited: { ...count, description: "The other `rate_limited` rows: a send or check refused by a limit." },
} as const;
const counts = { type: "object", required: COUNTER_NAMES, additionalProperties: false, properties: counterProperties } as const;
const percentiles = (unit: string) =>
  ({
    type: "object",
    required: ["p50", "p99"],
    additionalProperties: false,
    description: `Nearest-rank percentiles in ${unit}; null when there is no value.`,
    properties: { p50: { type: ["number", "null"] }, p99: { type: ["number", "null"] } },
  }) as const;
const topList = (what: string) =>
  ({
    type: "array",
    description: `${what} with the most refusals (failed checks, rate-limited requests and lockouts), most first, at most \`top\`.`,
    items: {
      type: "object",
      required: ["value", "count"],
      additionalProperties: false,
      properties: { value: { type: "string" }, count },
    },
  }) as const;

export const auditStatsQuery = {
  $id: "AuditStatsQuery",
  description: "The range and the rows to aggregate.",
  type: "object",
  required: ["from", "to"],
  additionalProperties: false,
  properties: {
    from: { ...timestamp, description: "Inclusive." },
    to: { ...timestamp, description: `Exclusive; at most ${MAX_STATS_RANGE_DAYS} days after \`from\`.` },
    bucket: {
      type: "string",
      enum: STATS_BUCKETS,
      description: `Width of each bucket; default the finest that gives at most ${MAX_STATS_BUCKETS} buckets over the range.`,
    },
    purpose: { type: "string", pattern: NAME_PATTERN, description: "Only rows of this purpose." },
    channel: { type: "string", pattern: NAME_PATTERN, description: "Only rows of this channel." },
    top: { type: "integer", minimum: 1, maximum: 50, description: "Entries in each top list (default 10)." },
  },
  examples: [{ from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", purpose: "login" }],
} as const;

const statsExample = {
  from: "2026-01-01T00:00:00.000Z",
  to: "2026-01-01T02:00:00.000Z",
  bucket: "hour",
  series: [
    {
      at: "2026-01-01T00:00:00.000Z",
      sent: 120,
      delivered: 118,
      deliveryFailed: 2,
      approved: 101,
      failedChecks: 14,
      lockouts: 1,
      rateLimited: 3,
    },
    { at: "2026-01-01T01:00:00.000Z", sent: 0, delivered: 0, deliveryFailed: 0, approved: 0, failedChecks: 0, lockouts: 0, rateLimited: 0 },
  ],
  totals: { sent: 120, delivered: 118, deliveryFailed: 2, approved: 101, failedChecks: 14, lockouts: 1, rateLimited: 3 },
  rateLimitedByLimit: [{ limit: "sends_per_identifier", count: 3 }],
  deliveryByChannel: [{ channel: "sms", delivered: 118, failed: 2 }],
  conversionRate: 0.8417,
  timeToApproveSeconds: { p50: 21.4, p99: 174.2 },
  checkLatencyMs: { p50: 1.8, p99: 9.6 },
  topIps: [{ value: "203.0.113.7", count: 9 }],
  topPrefixes: [{ value: "+1415", count: 6 }],
  topCountries: [{ value: "US", count: 6 }],
};

export const auditStats = {
  $id: "AuditStats",
  type: "object",
  description: "Counts per time bucket and over the range, conversion, latencies and the top sources of refusals.",
  required: Object.keys(statsExample),
  additionalProperties: false,
  properties: {
    from: timestamp,
    to: timestamp,
    bucket: { type: "string", enum: STATS_BUCKETS },
    series: {
      type: "array",
      description: "Every bucket of the range, oldest first, zero-filled; `at` is where it starts (`from` plus whole buckets).",
      items: { ...counts, required: ["at", ...COUNTER_NAMES], properties: { at: timestamp, ...counterProperties } },
    },
    totals: counts,
    rateLimitedByLimit: {
      type: "array",
      description: "Rate-limited refusals (lockouts not included) by the limit's name; null where the row names none. Most first.",
      items: {
        type: "object",
        required: ["limit", "count"],
        additionalProperties: false,
        properties: { limit: { type: ["string", "null"] }, count },
      },
    },
    deliveryByChannel: {
      type: "array",
      description: "Delivered and failed deliveries per channel, by channel name.",
      items: {
        type: "object",
        required: ["channel", "delivered", "failed"],
        additionalProperties: false,
        properties: { channel: { type: "string" }, delivered: count, failed: count },
      },
    },
    conversionRate: { type: ["number", "null"], description: "approved ÷ sent; null when nothing was sent." },
    timeToApproveSeconds: {
      ...percentiles("seconds"),
      description: "From a verification's first `generated` row to its `verified` row, nearest-rank percentiles in seconds.",
    },
    checkLatencyMs: {
      ...percentiles("milliseconds"),
      description: "How long each check took in the engine, nearest-rank percentiles in ms.",
    },
    topIps: topList("Client IPs"),
    topPrefixes: topList("Phone number prefixes (`+` and the four digits a masked number shows)"),
    topCountries: topList("Countries (ISO 3166 alpha-2, from the number's prefix)"),
  },
  examples: [statsExample],
} as const;
