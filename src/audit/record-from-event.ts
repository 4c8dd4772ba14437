import type { OtpEvent } from "../contracts/events.js";
import type { AuditAction, AuditRecord } from "./audit-log.js";
import { timeOrderedId } from "./event-id.js";

/** What each engine event becomes in the audit log, and its status when the event has no reason. */
const ACTIONS: Partial<Record<OtpEvent["type"], { action: AuditAction; status: string }>> = {
  generated: { action: "generated", status: "pending" },
  delivered: { action: "delivered", status: "delivered" },
  delivery_failed: { action: "delivery_failed", status: "DELIVERY_FAILED" },
  succeeded: { action: "verified", status: "approved" },
  failed: { action: "failed", status: "FAILED" },
  exhausted: { action: "exhausted", status: "MAX_RETRIES_EXCEEDED" },
  revoked: { action: "revoked", status: "canceled" },
  rate_limited: { action: "rate_limited", status: "RATE_LIMITED" },
  locked_out: { action: "rate_limited", status: "LOCKED_OUT" },
  // A notice's delivery failure carries DELIVERY_FAILED as its reason.
  lockout_notice: { action: "lockout_notice", status: "sent" },
  factor_enrolled: { action: "factor_enrolled", status: "pending" },
  factor_confirmed: { action: "factor_confirmed", status: "approved" },
  factor_verified: { action: "factor_verified", status: "approved" },
  factor_failed: { action: "factor_failed", status: "FAILED" },
  // Every earlier set stops working: a row support can point to when an old code is refused.
  recovery_codes_generated: { action: "recovery_codes_generated", status: "issued" },
  recovery_code_used: { action: "recovery_code_used", status: "approved" },
  unlocked: { action: "unlocked", status: "unlocked" },
  // validation_attempt is left out: every check also emits succeeded or failed.
};

/** The event types the audit log keeps: a recorder listens to these only. */
export const AUDITED_EVENT_TYPES = Object.keys(ACTIONS) as OtpEvent["type"][];

/** One audit row from one engine event; undefined for events the audit log does not keep. */
export function auditRecordFromEvent(event: OtpEvent): AuditRecord | undefined {
  const mapped = ACTIONS[event.type];
  if (!mapped) return undefined;
  let metadata: Record<string, unknown> | null = event.metadata ?? null;
  if (event.limit !== undefined || event.retryAfterSeconds !== undefined) {
    metadata = {
      ...metadata,
      ...(event.limit !== undefined && { limit: event.limit }),
      ...(event.retryAfterSeconds !== undefined && { retryAfterSeconds: event.retryAfterSeconds }),
    };
  }
  // The digest, never the details: enough to show that a row concerns the transaction an app names.
  if (event.transactionDigest !== undefined) metadata = { ...metadata, transactionDigest: event.transactionDigest };
  return {
    eventId: timeOrderedId(event.at),
    verificationId: event.id ?? null,
    action: mapped.action,
    status: event.reason ?? mapped.status,
    purpose: event.purpose ?? null,
    channel: event.channel ?? null,
    identifierHash: event.identifierHash ?? null,
    identifierMasked: event.identifier ?? null,
    attempts: event.attempts ?? null,
    metadata,
    clientIp: event.client?.ip ?? null,
    userAgent: event.client?.userAgent ?? null,
    traceId: event.traceId ?? null,
    durationMs: event.durationMs ?? null,
    actor: event.actor ?? null,
    at: new Date(event.at),
  };
}
