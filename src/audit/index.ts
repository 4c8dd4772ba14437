export { AUDIT_ACTIONS } from "./audit-log.js";
export type { AuditAction, AuditFilter, AuditLog, AuditPage, AuditRecord } from "./audit-log.js";
export { auditCsv, csvField, CSV_COLUMNS } from "./csv.js";
export { memoryAuditLog, MemoryAuditLog } from "./memory.js";
export type { MemoryAuditLogOptions } from "./memory.js";
export { attachAuditLog } from "./recorder.js";
export { auditFilterForIdentifier } from "./search-filter.js";
export { auditRecordFromEvent } from "./record-from-event.js";
export { PERCENTILE_ROWS, STATS_BUCKETS } from "./stats.js";
export type {
  AuditStats,
  AuditStatsBucket,
  AuditStatsChannel,
  AuditStatsCounts,
  AuditStatsLimitCount,
  AuditStatsPercentiles,
  AuditStatsQuery,
  AuditStatsTopEntry,
  StatsBucket,
} from "./stats.js";
export type { AuditRecorder, AuditRecorderOptions, AuditRecorderStatus } from "./recorder.js";
export { auditMetrics } from "../telemetry/metrics.js";
export type { AuditBacklogSource } from "../telemetry/metrics.js";
