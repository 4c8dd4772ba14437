import type { RecordResult, SynchronousLedger } from "../../stores/store.js";
import type { CounterOp, CounterStep, OpResult, StepResult } from "./counter-store.js";

/** A key's points in its current window. */
export interface Window {
  points: number;
  expiresAtMs: number;
}

/** What a step writes: a window per key, or null to delete it. Only keys whose window changed. */
export type Writes = Map<string, Window | null>;

/**
 * The step's semantics, written once for every backend that can read its rows, decide in
 * JavaScript and write back under its own lock (memory, SQLite, Postgres); the Redis script
 * follows the same steps in Lua, and the shared conformance suite holds them to it.
 *
 * First every `lock` and plain `take` is judged against the windows as they were; the first that
 * refuses ends the step with nothing written (a refused send uses up no budget). Otherwise the
 * ops run in order; then the step's ledger part, if any (`ledger` runs it: the backend's own
 * store, in the same transaction), and the settling ops its outcome calls for. Only windows that
 * end the step changed are written, so a reservation given back in the same step writes nothing.
 */
export function planStep(read: (key: string) => Window | undefined, step: CounterStep, ledger?: SynchronousLedger): { result: StepResult; writes: Writes } {
  const now = step.nowMs;
  const state = new Map<string, Window | null>();
  const current = (key: string): Window | undefined => {
    let window = state.get(key);
    if (window === undefined) {
      window = read(key) ?? null;
      state.set(key, window);
    }
    return window !== null && window.expiresAtMs > now ? window : undefined;
  };
  for (let index = 0; index < step.ops.length; index++) {
    const op = step.ops[index]!;
    if (op.kind === "lock" || (op.kind === "take" && !op.lock)) {
      const window = current(op.key);
      const full = op.kind === "lock" ? window !== undefined && window.points > 0 : window !== undefined && window.points >= op.max;
      if (full) return { result: { refused: { index, retryAfterMs: window!.expiresAtMs - now }, results: [] }, writes: new Map() };
    }
  }
  const before = new Map<string, Window | null>();
  for (const [key, window] of state) before.set(key, window);
  const absentBefore = new Set<string>();
  for (const op of step.ops) if (op.kind === "take" && op.onlyIfAbsent !== undefined && !current(op.onlyIfAbsent)) absentBefore.add(op.onlyIfAbsent);

  const set = (key: string, window: Window | null): void => {
    if (!before.has(key)) before.set(key, state.has(key) ? state.get(key)! : (read(key) ?? null));
    state.set(key, window);
  };
  const add = (key: string, windowMs: number): number => {
    const window = current(key);
    const next = window ? { points: window.points + 1, expiresAtMs: window.expiresAtMs } : { points: 1, expiresAtMs: now + windowMs };
    set(key, next);
    return next.points;
  };
  const run = (op: CounterOp): OpResult => {
    switch (op.kind) {
      case "lock":
        return { points: 0 };
      case "take": {
        if (op.onlyIfAbsent !== undefined && !absentBefore.has(op.onlyIfAbsent)) return { points: current(op.key)?.points ?? 0 };
        const points = add(op.key, op.windowMs);
        if (!op.lock || points < op.max) return { points };
        const level = add(op.lock.levelKey, op.lock.levelWindowMs);
        const lockMs = lockoutMs(level, op.lock.baseMs, op.lock.maxMs);
        set(op.lock.key, { points: 1, expiresAtMs: now + lockMs });
        if (op.lock.resetCount) set(op.key, null);
        return { points, lockMs };
      }
      case "forget":
        if (current(op.key)) set(op.key, null);
        return { points: 0 };
      case "giveBack": {
        const window = current(op.key);
        if (window && window.points > 0) set(op.key, { points: window.points - 1, expiresAtMs: window.expiresAtMs });
        return { points: 0 };
      }
      case "unlock": {
        // Only a live lockout is lifted, and only then is its level taken back.
        if (!current(op.key)) return { points: 0 };
        set(op.key, null);
        const level = current(op.levelKey);
        if (level && level.points > 0) set(op.levelKey, { points: level.points - 1, expiresAtMs: level.expiresAtMs });
        return { points: 0 };
      }
    }
  };
  const results = step.ops.map(run);

  let record: RecordResult | undefined;
  const part = step.ledger;
  if (part) {
    if (!ledger) throw new Error("otp-actions: this counter store cannot run a ledger part");
    if (part.kind === "open") ledger.openNow(part.id, part.ttlMs, part.attempts);
    else {
      record = ledger.recordNow(part.id, part.match, part.maxAttempts);
      for (const op of settleOpsFor(part, record)) run(op);
    }
  }

  const writes: Writes = new Map();
  for (const [key, old] of before) {
    const next = state.get(key) ?? null;
    const live = (window: Window | null): Window | null => (window !== null && window.expiresAtMs > now ? window : null);
    const [a, b] = [live(old), live(next)];
    if (a === b || (a !== null && b !== null && a.points === b.points && a.expiresAtMs === b.expiresAtMs)) continue;
    writes.set(key, b);
  }
  return { result: record ? { results, record } : { results }, writes };
}

/** The settling ops a check's outcome calls for: none for a compared failure. */
export function settleOpsFor(part: { onApproved: readonly CounterOp[]; onNotCompared: readonly CounterOp[] }, record: RecordResult): readonly CounterOp[] {
  if (record.outcome === "approved") return part.onApproved;
  if (record.outcome === "rejected") return [];
  return part.onNotCompared;
}

/** Each lockout within the level window twice as long as the last, up to `maxMs`. */
export function lockoutMs(level: number, baseMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(level - 1, 0), 40);
  return Math.min(baseMs * 2 ** doublings, maxMs);
}

/** Every key a step reads or writes, sorted: SQL backends lock rows in this order (no deadlocks). */
export function keysOf(step: CounterStep): string[] {
  const keys = new Set<string>();
  const addOp = (op: CounterOp): void => {
    keys.add(op.key);
    if (op.kind === "take") {
      if (op.lock) {
        keys.add(op.lock.key);
        keys.add(op.lock.levelKey);
      }
      if (op.onlyIfAbsent !== undefined) keys.add(op.onlyIfAbsent);
    }
    if (op.kind === "unlock") keys.add(op.levelKey);
  };
  step.ops.forEach(addOp);
  if (step.ledger?.kind === "record") {
    step.ledger.onApproved.forEach(addOp);
    step.ledger.onNotCompared.forEach(addOp);
  }
  return [...keys].sort();
}
