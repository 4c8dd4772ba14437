/**
 * The shapes the console reads from the service (as documented in /openapi.json). The API's own
 * answers are the HTTP client's types, imported as types only: nothing of them reaches the bundle.
 */
export type { AuditPage, AuditRow, AuditStatsResponse as Stats } from "../client/types.js";

/** GET /admin/session. */
export interface SessionInfo {
  csrfToken: string;
  scopes: string[];
  admin: boolean;
  idleTimeoutSeconds: number;
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
