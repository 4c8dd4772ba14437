/** The shapes the console reads from the service (as documented in /openapi.json). */

/** GET /admin/session. */
export interface SessionInfo {
  csrfToken: string;
  scopes: string[];
  admin: boolean;
  idleTimeoutSeconds: number;
}

/** One audit row (AuditRecord). */
export interface AuditRow {
  eventId: string;
  verificationId: string | null;
  action: string;
  status: string;
  purpose: string | null;
  channel: string | null;
  identifierHash: string | null;
  identifierMasked: string | null;
  attempts: number | null;
  clientIp: string | null;
  userAgent: string | null;
  traceId: string | null;
  at: string;
}

/** POST /v1/audit/query. */
export interface AuditPage {
  rows: AuditRow[];
  nextCursor?: string;
}

/**
 * The audit log's actions, for the search form. A copy (the bundle imports nothing of the server's
 * code), held to the log's own list by test/server/console/actions-list.test.ts.
 */
export const ACTIONS = [
  "generated",
  "delivered",
  "verified",
  "failed",
  "exhausted",
  "revoked",
  "rate_limited",
  "delivery_failed",
  "lockout_notice",
  "unlocked",
  "factor_enrolled",
  "factor_confirmed",
  "factor_verified",
  "factor_failed",
  "recovery_codes_generated",
  "recovery_code_used",
] as const;

/** The counters of one bucket or of the whole range (POST /v1/audit/stats). */
export interface StatsCounts {
  sent: number;
  delivered: number;
  deliveryFailed: number;
  approved: number;
  failedChecks: number;
  lockouts: number;
  rateLimited: number;
}

/** POST /v1/audit/stats (AuditStats). */
export interface Stats {
  from: string;
  to: string;
  bucket: string;
  series: Array<StatsCounts & { at: string }>;
  totals: StatsCounts;
  rateLimitedByLimit: Array<{ limit: string | null; count: number }>;
  deliveryByChannel: Array<{ channel: string; delivered: number; failed: number }>;
  conversionRate: number | null;
  timeToApproveSeconds: { p50: number | null; p99: number | null };
  checkLatencyMs: { p50: number | null; p99: number | null };
  topIps: Array<{ value: string; count: number }>;
  topPrefixes: Array<{ value: string; count: number }>;
  topCountries: Array<{ value: string; count: number }>;
}
