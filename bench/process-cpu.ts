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

/** CPU seconds so far of every process with one of these names (a server and its workers); 0 without /proc. */
export function cpuSecondsOfNamed(names: ReadonlySet<string>): number {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return 0;
  }
  let seconds = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry); // undefined when the process ended meanwhile
    if (stat && names.has(stat.name)) seconds += stat.cpuSeconds;
  }
  return seconds;
}
