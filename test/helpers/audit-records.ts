import { randomUUID } from "node:crypto";
import type { AuditRecord } from "../../src/audit/audit-log.js";

/** A plain `generated` row with a fresh event id, for tests of how rows are written. */
export function auditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    eventId: randomUUID(),
    verificationId: null,
    action: "generated",
    status: "pending",
    purpose: "login",
    channel: "email",
    identifierHash: "h",
    identifierMasked: "u***@example.com",
    attempts: 0,
    metadata: null,
    clientIp: null,
    userAgent: null,
    traceId: null,
    durationMs: null,
    at: new Date(),
    ...overrides,
  };
}
