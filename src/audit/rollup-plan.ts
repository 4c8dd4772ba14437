/**
 * Which part of a stats range the hourly rollup answers and which part the rows do. An hour
 * counts from the rollup when it lies whole in the range and in one bucket; the rows answer the
 * rest: the partial hours at either end, and each hour a bucket boundary falls inside (a range of
 * days that starts at 09:17 has one such hour a day). Minute buckets, and hour buckets that do
 * not start on the hour (every hour is split), read the rows alone.
 */
import { HOUR_MS } from "./rollup-sql.js";
import type { NormalizedStatsQuery } from "./stats.js";

/** Whole hours since the epoch, `[first, last)`, less the hours in `split`. */
export interface RollupHours {
  first: number;
  last: number;
  /** Hours in `[first, last)` a bucket boundary falls inside: their rows are read instead. */
  split: number[];
}

export interface RollupPlan {
  /** The rollup's hours, or undefined when the rows answer the whole range. */
  hours?: RollupHours;
  /** The stretches `[fromMs, toMs)` whose rows are counted, oldest first; empty when the rollup answers it all. */
  rowRanges: Array<[number, number]>;
}

export function rollupPlan(q: NormalizedStatsQuery): RollupPlan {
  const rowsOnly: RollupPlan = { rowRanges: [[q.fromMs, q.toMs]] };
  const first = Math.ceil(q.fromMs / HOUR_MS);
  const last = Math.floor(q.toMs / HOUR_MS);
  if (q.bucket === "minute" || first >= last) return rowsOnly;
  const split: number[] = [];
  for (let k = 1; k < q.buckets; k++) {
    const boundary = q.fromMs + k * q.bucketMs;
    const hour = Math.floor(boundary / HOUR_MS);
    if (boundary % HOUR_MS !== 0 && hour >= first && hour < last) split.push(hour);
  }
  if (split.length === last - first) return rowsOnly;
  const stretches: Array<[number, number]> = [
    [q.fromMs, first * HOUR_MS],
    ...split.map((hour): [number, number] => [hour * HOUR_MS, (hour + 1) * HOUR_MS]),
    [last * HOUR_MS, q.toMs],
  ];
  const rowRanges: Array<[number, number]> = [];
  for (const [from, to] of stretches) {
    if (from >= to) continue;
    const previous = rowRanges.at(-1);
    if (previous !== undefined && previous[1] === from) previous[1] = to;
    else rowRanges.push([from, to]);
  }
  return { hours: { first, last, split }, rowRanges };
}
