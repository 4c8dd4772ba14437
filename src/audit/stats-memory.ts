/** Stats over records in memory: the same definitions the SQL logs compute with GROUP BY. */
import type { AuditRecord } from "./audit-log.js";
import { countryOfPhonePrefix, phonePrefixOf } from "./phone-prefix.js";
import {
  assembleStats,
  counterOf,
  newestForPercentiles,
  percentilesOf,
  REFUSAL_ACTIONS,
  topEntries,
  zeroCounts,
  type AuditStats,
  type BucketChannelCounts,
  type NormalizedStatsQuery,
} from "./stats.js";

function add(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

/** The stats of `rows` (in any order) for a checked query. */
export function statsOfRecords(rows: readonly AuditRecord[], q: NormalizedStatsQuery): AuditStats {
  const cells = new Map<string, BucketChannelCounts>();
  const byLimit = new Map<string | null, number>();
  const ips = new Map<string, number>();
  const prefixes = new Map<string, number>();
  const checks: AuditRecord[] = [];
  const verified: AuditRecord[] = [];
  // A verification's first issue may be before the range: every row is looked at for it.
  const firstGenerated = new Map<string, number>();
  for (const row of rows) {
    if (row.action === "generated" && row.verificationId !== null) {
      const seen = firstGenerated.get(row.verificationId);
      if (seen === undefined || row.at.getTime() < seen) firstGenerated.set(row.verificationId, row.at.getTime());
    }
    const atMs = row.at.getTime();
    if (atMs < q.fromMs || atMs >= q.toMs) continue;
    if (q.purpose !== undefined && row.purpose !== q.purpose) continue;
    if (q.channel !== undefined && row.channel !== q.channel) continue;
    const counter = counterOf(row.action, row.status);
    if (counter !== undefined) {
      const index = Math.floor((atMs - q.fromMs) / q.bucketMs);
      const key = `${index}\u0000${row.channel ?? "\u0000null"}`;
      let cell = cells.get(key);
      if (cell === undefined) cells.set(key, (cell = { index, channel: row.channel, ...zeroCounts() }));
      cell[counter] += 1;
      if (counter === "rateLimited") {
        const limit = row.metadata?.limit;
        const name = typeof limit === "string" ? limit : null;
        byLimit.set(name, (byLimit.get(name) ?? 0) + 1);
      }
    }
    if (REFUSAL_ACTIONS.includes(row.action)) {
      if (row.clientIp !== null) add(ips, row.clientIp);
      const prefix = phonePrefixOf(row.identifierMasked);
      if (prefix !== null) add(prefixes, prefix);
    }
    if ((row.action === "verified" || row.action === "failed") && row.durationMs !== null) checks.push(row);
    if (row.action === "verified" && row.verificationId !== null) verified.push(row);
  }
  const approveSeconds: number[] = [];
  const atMs = (row: AuditRecord) => row.at.getTime();
  const checkMs = newestForPercentiles(checks, atMs).map((row) => row.durationMs!);
  for (const row of newestForPercentiles(verified, atMs)) {
    const generatedMs = firstGenerated.get(row.verificationId!);
    if (generatedMs !== undefined) approveSeconds.push((row.at.getTime() - generatedMs) / 1000);
  }
  const ascending = (a: number, b: number) => a - b;
  return assembleStats(
    q,
    {
      cells: [...cells.values()],
      byLimit: [...byLimit].map(([limit, count]) => ({ limit, count })),
      topIps: topEntries(ips, q.top),
      prefixes: [...prefixes],
      timeToApproveSeconds: percentilesOf(approveSeconds.sort(ascending)),
      checkLatencyMs: percentilesOf(checkMs.sort(ascending)),
    },
    countryOfPhonePrefix,
  );
}
