import type { CounterStep, OpResult, StepResult } from "./counter-store.js";

/** A key's points in its current window. */
export interface Window {
  points: number;
  expiresAtMs: number;
}

/** What a step writes: a window per key, or null to delete it. */
export type Writes = Map<string, Window | null>;

/**
 * The step's semantics, written once for every backend that can read its rows, decide in
 * JavaScript and write back under its own lock (memory, SQLite, Postgres); the Redis script
 * follows the same steps in Lua, and the shared conformance suite holds them to it.
 *
 * First every `lock` and plain `take` is judged against the windows as they were; the first that
 * refuses ends the step with nothing written (a refused send uses up no budget). Otherwise the
 * ops run in order.
 */
export function planStep(read: (key: string) => Window | undefined, step: CounterStep): { result: StepResult; writes: Writes } {
  const now = step.nowMs;
  const writes: Writes = new Map();
  const current = (key: string): Window | undefined => {
    const window = writes.has(key) ? writes.get(key) ?? undefined : read(key);
    return window && window.expiresAtMs > now ? window : undefined;
  };
  for (let index = 0; index < step.ops.length; index++) {
    const op = step.ops[index]!;
    if (op.kind === "lock") {
      const window = current(op.key);
      if (window && window.points > 0) return { result: { refused: { index, retryAfterMs: window.expiresAtMs - now }, results: [] }, writes: new Map() };
    } else if (op.kind === "take" && !op.lock) {
      const window = current(op.key);
      if (window && window.points >= op.max) return { result: { refused: { index, retryAfterMs: window.expiresAtMs - now }, results: [] }, writes: new Map() };
    }
  }
  const absentBefore = new Set<string>();
  for (const op of step.ops) if (op.kind === "take" && op.onlyIfAbsent !== undefined && !current(op.onlyIfAbsent)) absentBefore.add(op.onlyIfAbsent);

  const results: OpResult[] = [];
  const add = (key: string, windowMs: number): number => {
    const window = current(key);
    const next = window ? { points: window.points + 1, expiresAtMs: window.expiresAtMs } : { points: 1, expiresAtMs: now + windowMs };
    writes.set(key, next);
    return next.points;
  };
  for (const op of step.ops) {
    switch (op.kind) {
      case "lock":
        results.push({ points: 0 });
        break;
      case "take": {
        if (op.onlyIfAbsent !== undefined && !absentBefore.has(op.onlyIfAbsent)) {
          results.push({ points: current(op.key)?.points ?? 0 });
          break;
        }
        const points = add(op.key, op.windowMs);
        if (!op.lock || points < op.max) {
          results.push({ points });
          break;
        }
        const level = add(op.lock.levelKey, op.lock.levelWindowMs);
        const lockMs = lockoutMs(level, op.lock.baseMs, op.lock.maxMs);
        writes.set(op.lock.key, { points: 1, expiresAtMs: now + lockMs });
        if (op.lock.resetCount) writes.set(op.key, null);
        results.push({ points, lockMs });
        break;
      }
      case "forget":
        writes.set(op.key, null);
        results.push({ points: 0 });
        break;
      case "giveBack": {
        const window = current(op.key);
        if (window && window.points > 0) writes.set(op.key, { points: window.points - 1, expiresAtMs: window.expiresAtMs });
        results.push({ points: 0 });
        break;
      }
      case "unlock": {
        writes.set(op.key, null);
        const level = current(op.levelKey);
        if (level && level.points > 0) writes.set(op.levelKey, { points: level.points - 1, expiresAtMs: level.expiresAtMs });
        results.push({ points: 0 });
        break;
      }
    }
  }
  return { result: { results }, writes };
}

/** Each lockout within the level window twice as long as the last, up to `maxMs`. */
export function lockoutMs(level: number, baseMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(level - 1, 0), 40);
  return Math.min(baseMs * 2 ** doublings, maxMs);
}

/** Every key a step reads or writes, sorted: SQL backends lock rows in this order (no deadlocks). */
export function keysOf(step: CounterStep): string[] {
  const keys = new Set<string>();
  for (const op of step.ops) {
    keys.add(op.key);
    if (op.kind === "take") {
      if (op.lock) {
        keys.add(op.lock.key);
        keys.add(op.lock.levelKey);
      }
      if (op.onlyIfAbsent !== undefined) keys.add(op.onlyIfAbsent);
    }
    if (op.kind === "unlock") keys.add(op.levelKey);
  }
  return [...keys].sort();
}
