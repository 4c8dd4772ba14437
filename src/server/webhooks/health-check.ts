/**
 * Outgoing webhooks in /health/otp. The service works whatever the subscribers do, so webhooks
 * never fail the check; they make it degraded while events are being dropped (one dropped within
 * the last `DROP_WINDOW_MS`) or the queue is nearly full, which is when events are about to be.
 */
import type { CheckResult, HealthReport } from "../health.js";
import type { WebhookStatus } from "./dispatcher.js";

/** How long after an event was dropped the check stays degraded. */
export const DROP_WINDOW_MS = 15 * 60_000;
/** The share of maxQueued held from which the check is degraded. */
const NEARLY_FULL = 0.9;

/** The `webhooks` entry of the report, and whether it makes the report degraded. */
export function webhooksCheck(status: WebhookStatus, nowMs: number): { check: CheckResult; degraded: boolean } {
  const droppedRecently = status.lastDroppedAt !== null && nowMs - status.lastDroppedAt < DROP_WINDOW_MS;
  const nearlyFull = status.queued >= status.maxQueued * NEARLY_FULL;
  const check: CheckResult = {
    ok: true,
    state: droppedRecently ? "dropping" : nearlyFull ? "nearly_full" : "ok",
    queued: status.queued,
    maxQueued: status.maxQueued,
    dropped: status.dropped,
    delivered: status.delivered,
    failed: status.failed,
    retries: status.retries,
  };
  return { check, degraded: droppedRecently || nearlyFull };
}

/** The report with the `webhooks` entry added, degraded (from ok) when the webhooks are. */
export function withWebhooksCheck(report: HealthReport, status: WebhookStatus, nowMs: number): HealthReport {
  const { check, degraded } = webhooksCheck(status, nowMs);
  return {
    ...report,
    status: degraded && report.status === "ok" ? "degraded" : report.status,
    checks: { ...report.checks, webhooks: check },
  };
}
