/**
 * What the service's REST API takes and answers, as TypeScript types: each mirrors a route schema
 * of src/server (a test holds their fields to the schemas). Times are ISO 8601 strings, as sent.
 */
import type { AuditAction, AuditRecord } from "../audit/audit-log.js";
import type { AuditStats, AuditStatsBucket, StatsBucket } from "../audit/stats.js";

/** The end user's address and browser, for rate limits and audit. */
export interface EndUserClient {
  /** The end user's IP address; by default the request's own (or its trusted proxy's). */
  ip?: string;
  /** The end user's `User-Agent` (at most 512 characters). */
  userAgent?: string;
}

/** The payment a code is bound to: the message shows it, and the check must name it again. */
export interface TransactionDetails {
  /** A decimal string with at most the currency's minor digits: "12.50". */
  amount: string;
  /** An ISO 4217 code such as EUR. */
  currency: string;
  /** Who is paid: 1-140 printable characters. */
  payee: string;
}

/** POST /v1/verifications: who to send a code to, and what it protects. */
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
  /** The payment the code confirms; the check must name the same. */
  transaction?: TransactionDetails;
  /** The end user the code is for. */
  client?: EndUserClient;
}

/** A verification started or resent: its code is on its way, never in here. */
export interface IssuedVerification {
  /** The verification's id, for `get` and the audit log. */
  id: string;
  /** The sealed context the next step sends back. */
  context: string;
  /** Always `pending`. */
  status: "pending";
  /** The channel that delivers the code. */
  channel: string;
  /** When this code stops working. */
  expiresAt: string;
  /** When the verification ends, resends included. */
  sessionExpiresAt: string;
}

/** POST /v1/verifications/check: the code the user typed, with the context it was issued under. */
export interface CheckRequest {
  /** The context of the last start, resend or wrong code. */
  context: string;
  /** The digits the user typed. */
  code: string;
  /** The purpose the code was issued for: a code never approves another purpose. */
  purpose: string;
  /** When given, the context must have been issued to this identifier. */
  identifier?: string;
  /** The transaction the code was bound to at start, when it was. */
  transaction?: TransactionDetails;
  /** The end user checking the code. */
  client?: EndUserClient;
}

/** The code was right: the action may go ahead. */
export interface ApprovedVerification {
  /** Always `approved`. */
  status: "approved";
  /** The verification's id. */
  id: string;
  /** The identifier the code was issued to, normalised. */
  identifier: string;
  /** The purpose the code was issued for. */
  purpose: string;
  /** The metadata given at start, or null. */
  metadata: Record<string, unknown> | null;
}

/** POST /v1/verifications/resend: a new code for a pending verification. */
export interface ResendRequest {
  /** The context of the pending verification. */
  context: string;
  /** BCP 47 language tag for the message. */
  locale?: string;
  /** The transaction the verification was bound to at start, when it was: the new message shows it again. */
  transaction?: TransactionDetails;
  /** The end user asking for the new code. */
  client?: EndUserClient;
}

/** POST /v1/verifications/cancel: ends a pending verification. */
export interface CancelRequest {
  /** The context of the pending verification. */
  context: string;
}

/** The verification canceled; cancelling it again answers the same. */
export interface CanceledVerification {
  /** The verification's id. */
  id: string;
  /** Always `canceled`. */
  status: "canceled";
}

/** GET /v1/verifications/{id}. */
export interface VerificationStatusResponse {
  /** The verification's id. */
  id: string;
  /** `replaced`: a resend issued a newer verification and the session goes on under it; `canceled`: canceled, or its delivery failed. */
  status: "pending" | "approved" | "canceled" | "replaced" | "max_attempts";
  /** Checks used, those a resend carried over included. */
  attempts: number;
  /** Checks left, while pending; absent when purposes have different maximums. */
  attemptsRemaining?: number;
  /** When the session ends and the verification is forgotten. */
  sessionExpiresAt: string;
}

/** The filters both audit routes take. */
export interface AuditFilterRequest {
  /** One person's rows: normalised and hashed as the engine does, under every key (rows from before a rotation too). */
  identifier?: string;
  /** How to read `identifier`; inferred when absent. */
  identifierKind?: "email" | "phone";
  /** One verification's rows. Not indexed alone: combine with `identifier` or a time range on a large log. */
  verificationId?: string;
  /** Rows for this purpose. */
  purpose?: string;
  /** Rows of this action, or of any of these. */
  action?: AuditAction | AuditAction[];
  /** An error code, or pending, approved, canceled, delivered. */
  status?: string;
  /** Rows from this client IP address, exactly as recorded. */
  clientIp?: string;
  /** Inclusive, ISO 8601. */
  from?: string;
  /** Exclusive, ISO 8601. */
  to?: string;
}

/** The audit filters, with paging. */
export interface AuditQueryRequest extends AuditFilterRequest {
  /** Rows per page (default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One event of one verification, as the audit log keeps it; `at` as JSON carries it (ISO 8601). */
export type AuditRow = Omit<AuditRecord, "at"> & {
  /** When it happened. */
  at: string;
};

/** One page of the audit log. */
export interface AuditPage {
  /** Newest first. */
  rows: AuditRow[];
  /** Present when more rows match. */
  nextCursor?: string;
}

/** POST /v1/audit/stats: the range and the rows to aggregate. */
export interface AuditStatsRequest {
  /** Inclusive, ISO 8601. */
  from: string;
  /** Exclusive, ISO 8601; at most 400 days after `from`. */
  to: string;
  /** Width of each bucket; default the finest that gives at most 200 buckets. */
  bucket?: StatsBucket;
  /** Only rows of this purpose. */
  purpose?: string;
  /** Only rows of this channel. */
  channel?: string;
  /** Entries in each top list, 1-50 (default 10). */
  top?: number;
}

/** What POST /v1/audit/stats answers: the audit log's stats with times as ISO 8601 strings. */
export type AuditStatsResponse = Omit<AuditStats, "from" | "to" | "series"> & {
  /** Inclusive. */
  from: string;
  /** Exclusive. */
  to: string;
  /** Every bucket of the range, oldest first, zero-filled. */
  series: AuditStatsBucketJson[];
};

/** One bucket of the stats' series, as JSON carries it. */
export type AuditStatsBucketJson = Omit<AuditStatsBucket, "at"> & {
  /** Where the bucket starts, ISO 8601. */
  at: string;
};
