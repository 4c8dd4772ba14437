/**
 * CPU time of other processes, from /proc (Linux): the database servers and the HTTP server the
 * benchmarks drive. CPU time moves less than throughput when another program takes the cores.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;

/** A process's name and its user + system CPU seconds so far; undefined when it cannot be read. */
function readStat(pid: number | string): { name: string; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    return { name: stat.slice(stat.indexOf("(") + 1, close), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a process so far (all its threads); NaN without /proc. */
export function cpuSecondsOf(pid: number | undefined): number {
  return (pid === undefined ? undefined : readStat(pid))?.cpuSeconds ?? Number.NaN;
}

/** CPU seconds so far of each process with one of these names (a server and its workers), by pid; empty without /proc. */
export function cpuSecondsByPid(names: ReadonlySet<string>): Map<string, number> {
  const seconds = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return seconds;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry); // undefined when the process ended meanwhile
    if (stat && names.has(stat.name)) seconds.set(entry, stat.cpuSeconds);
  }
  return seconds;
}

/**
 * CPU seconds used between two readings of `cpuSecondsByPid`. A process that started meanwhile
 * counts from zero; one that ended meanwhile is left out (its last part is lost), where a plain
 * sum of both readings would lose its whole life and could come out negative.
 */
export function cpuSecondsBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let seconds = 0;
  for (const [pid, now] of after) seconds += Math.max(0, now - (before.get(pid) ?? 0));
  return seconds;
}
