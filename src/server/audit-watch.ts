/**
 * The service's audit log is never silent: a failed write, dropped rows and a backlog past its
 * threshold each become a warning (folded: at most one line a second per cause), beside the
 * metrics (`auditMetrics`) and the audit check of /health/otp.
 */
import type { AuditRecorder, AuditRecorderOptions } from "../audit/recorder.js";
import type { ServiceConfig } from "./config.js";
import { describeError } from "./health.js";

/** Writes one warning of a cause; the caller folds them. */
export type AuditWarn = (cause: string, fields: Record<string, unknown>, message: string) => void;

/** How often the backlog is looked at. */
const WATCH_INTERVAL_MS = 1000;

/** The recorder's options from the configuration, its failures and drops reported through `warn`. */
export function auditRecorderOptions(
  config: ServiceConfig,
  warn: AuditWarn,
  recorder: () => AuditRecorder | undefined,
): AuditRecorderOptions {
  return {
    retentionDays: config.auditRetentionDays,
    maxBuffered: config.auditMaxBuffered,
    strict: config.auditStrict,
    // A driver's message only (named fields): never the rows of the batch.
    onError: (error) =>
      warn(
        "audit write failed",
        { error: describeError(error), buffered: recorder()?.pending },
        "audit log write failed; its rows are kept and written again",
      ),
    onDrop: (rows) =>
      warn("audit rows dropped", { dropped: rows, droppedTotal: recorder()?.dropped }, "audit rows dropped: the recorder held its maximum"),
  };
}

/** Warns each second while the backlog is past its threshold; returns what stops it. */
export function watchAuditBacklog(recorder: AuditRecorder, warn: AuditWarn): () => void {
  const timer = setInterval(() => {
    const { state, held, degradedAt, maxBuffered, strict } = recorder.status();
    if (held < degradedAt) return;
    const refusing = strict && state === "full";
    warn(
      "audit backlog",
      { state, buffered: held, degradedAt, maxBuffered, strict },
      refusing ? "audit log full: starts and checks are refused until it catches up" : "audit log behind: rows wait in memory",
    );
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
