export { AUDIT_ACTIONS } from "./audit-log.js";
export type { AuditAction, AuditFilter, AuditLog, AuditPage, AuditRecord } from "./audit-log.js";
export { auditCsv, csvField, CSV_COLUMNS } from "./csv.js";
export { memoryAuditLog, MemoryAuditLog } from "./memory.js";
export type { MemoryAuditLogOptions } from "./memory.js";
export { attachAuditLog, auditFilterForIdentifier, auditRecordFromEvent } from "./recorder.js";
export type { AuditRecorder, AuditRecorderOptions, AuditRecorderStatus } from "./recorder.js";
export { auditMetrics } from "../telemetry/metrics.js";
