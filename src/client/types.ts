/**
 * What the service's REST API takes and answers, as TypeScript types: each mirrors a route schema
 * of src/server (a test holds their fields to the schemas). Times are ISO 8601 strings, as sent.
 */
import type { AuditAction } from "../audit/audit-log.js";

/** The end user's address and browser, for rate limits and audit. */
export interface EndUserClient {
  ip?: string;
  userAgent?: string;
}

export interface StartRequest {
  /** Email address or phone number. */
  identifier: string;
  /** What the code protects, such as `login`. */
  purpose: string;
  /** Channel name; by default the one for the identifier's kind. */
  channel?: string;
  /** Your data, sealed into the context and returned on approval (at most 5 KB). */
  metadata?: Record<string, unknown>;
  /** BCP 47 language tag for the message. */
  locale?: string;
  client?: EndUserClient;
}

/** A verification started or resent: its code is on its way, never in here. */
export interface IssuedVerification {
  id: string;
  /** The sealed context the next step sends back. */
  context: string;
  status: "pending";
  channel: string;
  expiresAt: string;
  sessionExpiresAt: string;
}

export interface CheckRequest {
  context: string;
  /** The digits the user typed. */
  code: string;
  /** The purpose the code was issued for: a code never approves another purpose. */
  purpose: string;
  /** When given, the context must have been issued to this identifier. */
  identifier?: string;
  client?: EndUserClient;
}

export interface ApprovedVerification {
  status: "approved";
  id: string;
  identifier: string;
  purpose: string;
  metadata: Record<string, unknown> | null;
}

export interface ResendRequest {
  context: string;
  locale?: string;
  client?: EndUserClient;
}

export interface CancelRequest {
  context: string;
}

export interface CanceledVerification {
  id: string;
  status: "canceled";
}

/** GET /v1/verifications/{id}. */
export interface VerificationStatusResponse {
  id: string;
  status: "pending" | "approved" | "canceled" | "replaced" | "max_attempts";
  /** Checks used, those a resend carried over included. */
  attempts: number;
  /** Checks left, while pending; absent when purposes have different maximums. */
  attemptsRemaining?: number;
  sessionExpiresAt: string;
}

/** The filters both audit routes take. */
export interface AuditFilterRequest {
  identifier?: string;
  identifierKind?: "email" | "phone";
  verificationId?: string;
  purpose?: string;
  action?: AuditAction | AuditAction[];
  /** An error code, or pending, approved, canceled, delivered. */
  status?: string;
  /** Inclusive, ISO 8601. */
  from?: string;
  /** Exclusive, ISO 8601. */
  to?: string;
}

export interface AuditQueryRequest extends AuditFilterRequest {
  /** Rows per page (default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditRow {
  eventId: string;
  verificationId: string | null;
  action: AuditAction;
  status: string;
  purpose: string | null;
  channel: string | null;
  identifierHash: string | null;
  identifierMasked: string | null;
  attempts: number | null;
  metadata: Record<string, unknown> | null;
  clientIp: string | null;
  userAgent: string | null;
  traceId: string | null;
  at: string;
}

export interface AuditPage {
  /** Newest first. */
  rows: AuditRow[];
  /** Present when more rows match. */
  nextCursor?: string;
}
