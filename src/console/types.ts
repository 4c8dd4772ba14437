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

/** The audit log's actions, for the search form. */
export const ACTIONS = ["generated", "delivered", "verified", "failed", "exhausted", "revoked", "rate_limited", "delivery_failed"] as const;
