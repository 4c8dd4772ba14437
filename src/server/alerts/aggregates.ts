/**
 * The counts alert rules compare, read from the audit log with `AuditLog.query` alone (a page of
 * rows at a time, newest first), so any log answers them. A count stops at a cap: a rule only
 * needs to know it is above its threshold.
 */
import type { AuditAction, AuditLog, AuditRecord } from "../../audit/audit-log.js";
import type { AlertRule } from "./rules.js";

/** Rows counted at most per query. */
const MAX_COUNTED = 100_000;
const PAGE = 1000;

/** Rows of `action` in [fromMs, toMs) that pass `keep`. */
export async function countRows(
  log: Pick<AuditLog, "query">,
  action: AuditAction,
  fromMs: number,
  toMs: number,
  keep: (row: AuditRecord) => boolean = () => true,
): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await log.query({
      action,
      from: new Date(fromMs),
      to: new Date(toMs),
      limit: PAGE,
      ...(cursor !== undefined && { cursor }),
    });
    for (const row of page.rows) if (keep(row)) count++;
    seen += page.rows.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined && seen < MAX_COUNTED);
  return count;
}

/** The value a rule compares with its threshold, over its window ending at `nowMs`. */
export async function ruleValue(log: Pick<AuditLog, "query">, rule: AlertRule, nowMs: number): Promise<number> {
  const fromMs = nowMs - rule.windowSeconds * 1000;
  const onChannel = (row: AuditRecord) => row.channel === rule.channel;
  switch (rule.kind) {
    case "failed_checks":
      return countRows(log, "failed", fromMs, nowMs);
    case "lockouts":
      return countRows(log, "rate_limited", fromMs, nowMs, (row) => row.status === "LOCKED_OUT");
    case "delivery_failure_rate": {
      const failed = await countRows(log, "delivery_failed", fromMs, nowMs, onChannel);
      const delivered = await countRows(log, "delivered", fromMs, nowMs, onChannel);
      return failed + delivered === 0 ? 0 : failed / (failed + delivered);
    }
    case "sms_budget":
      return (await countRows(log, "generated", fromMs, nowMs, onChannel)) / rule.budget!;
  }
}

/** Whether the value fires: above the threshold, or for a budget at or above its share. */
export function fires(rule: AlertRule, value: number): boolean {
  return rule.kind === "sms_budget" ? value >= rule.threshold : value > rule.threshold;
}
