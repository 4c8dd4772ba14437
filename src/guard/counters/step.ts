import type { RecordResult, SynchronousLedger } from "../../contracts/ledger.js";
import type { CounterOp, CounterStep, OpResult, StepResult } from "./counter-store.js";
import { generationOf, stepOfGeneration } from "./generation.js";

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
 * ops run in order (their marked keys numbered by the step's generation, read first); then
 * the step's ledger part, if any (`ledger` runs it: the backend's own
 * store, in the same transaction), and the settling ops its outcome calls for. Only windows that
 * end the step changed are written, so a reservation given back in the same step writes nothing.
 */
export function planStep(
  read: (key: string) => Window | undefined,
  step: CounterStep,
  ledger?: SynchronousLedger,
): { result: StepResult; writes: Writes } {
  if (step.generation !== undefined) step = stepOfGeneration(step, generationOf(read(step.generation), step.nowMs));
  const plan = new Plan(read, step.nowMs);
  const ops = step.ops;
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]!;
    if (op.kind === "lock") {
      const window = plan.current(op.key);
      if (window !== undefined && window.points > 0) return refused(index, window.expiresAtMs - step.nowMs);
    } else if (op.kind === "take" && !op.lock) {
      const window = plan.current(op.key);
      if (window !== undefined && window.points >= op.max) return refused(index, window.expiresAtMs - step.nowMs);
    }
  }
  for (const op of ops)
    if (op.kind === "take" && op.onlyIfAbsent !== undefined && !plan.current(op.onlyIfAbsent)) plan.absent(op.onlyIfAbsent);
  const results: OpResult[] = new Array(ops.length);
  for (let index = 0; index < ops.length; index++) results[index] = plan.run(ops[index]!);

  const part = step.ledger;
  if (part === undefined) return { result: { results }, writes: plan.writes() };
  if (!ledger) throw new Error("otp-actions: this counter store cannot run a ledger part");
  if (part.kind === "open") {
    ledger.openNow(part.id, part.ttlMs, part.attempts);
    return { result: { results }, writes: plan.writes() };
  }
  const record = ledger.recordNow(part.id, part.match, part.maxAttempts);
  for (const op of settleOpsFor(part, record)) plan.run(op);
  return { result: { results, record }, writes: plan.writes() };
}

function refused(index: number, retryAfterMs: number): { result: StepResult; writes: Writes } {
  return { result: { refused: { index, retryAfterMs }, results: [] }, writes: new Map() };
}

/** The windows a step reads and changes: each key read once, its first value kept to write only what changed. */
class Plan {
  readonly #read: (key: string) => Window | undefined;
  readonly #now: number;
  /** Per key touched: the window as read, and as it is now (null: none). */
  readonly #windows = new Map<string, { read: Window | null; now: Window | null }>();
  #absent: Set<string> | undefined;

  constructor(read: (key: string) => Window | undefined, nowMs: number) {
    this.#read = read;
    this.#now = nowMs;
  }

  #entry(key: string): { read: Window | null; now: Window | null } {
    let entry = this.#windows.get(key);
    if (entry === undefined) {
      const window = this.#read(key) ?? null;
      entry = { read: window, now: window };
      this.#windows.set(key, entry);
    }
    return entry;
  }

  /** The key's live window, if any. */
  current(key: string): Window | undefined {
    const window = this.#entry(key).now;
    return window !== null && window.expiresAtMs > this.#now ? window : undefined;
  }

  absent(key: string): void {
    (this.#absent ??= new Set()).add(key);
  }

  #set(key: string, window: Window | null): void {
    this.#entry(key).now = window;
  }

  #add(key: string, windowMs: number): number {
    const window = this.current(key);
    const next = window ? { points: window.points + 1, expiresAtMs: window.expiresAtMs } : { points: 1, expiresAtMs: this.#now + windowMs };
    this.#set(key, next);
    return next.points;
  }

  run(op: CounterOp): OpResult {
    switch (op.kind) {
      case "lock":
        return { points: 0 };
      case "take": {
        if (op.onlyIfAbsent !== undefined && !this.#absent?.has(op.onlyIfAbsent)) return { points: this.current(op.key)?.points ?? 0 };
        const points = this.#add(op.key, op.windowMs);
        if (!op.lock || points < op.max) return { points };
        const level = this.#add(op.lock.levelKey, op.lock.levelWindowMs);
        const lockMs = lockoutMs(level, op.lock.baseMs, op.lock.maxMs);
        this.#set(op.lock.key, { points: 1, expiresAtMs: this.#now + lockMs });
        if (op.lock.resetCount) this.#set(op.key, null);
        return { points, lockMs };
      }
      case "forget":
        if (this.current(op.key)) this.#set(op.key, null);
        return { points: 0 };
      case "giveBack": {
        // A window given back to nothing is dropped: a reservation returned leaves no row behind.
        const window = this.current(op.key);
        if (window && window.points > 0)
          this.#set(op.key, window.points === 1 ? null : { points: window.points - 1, expiresAtMs: window.expiresAtMs });
        return { points: 0 };
      }
      case "unlock": {
        // Only a live lockout is lifted, and only then is its level taken back.
        if (!this.current(op.key)) return { points: 0 };
        this.#set(op.key, null);
        const level = this.current(op.levelKey);
        if (level && level.points > 0) this.#set(op.levelKey, { points: level.points - 1, expiresAtMs: level.expiresAtMs });
        return { points: 0 };
      }
    }
  }

  /** The windows that end the step changed (live windows compared; an expired one counts as none). */
  writes(): Writes {
    const writes: Writes = new Map();
    for (const [key, { read, now }] of this.#windows) {
      const before = read !== null && read.expiresAtMs > this.#now ? read : null;
      const after = now !== null && now.expiresAtMs > this.#now ? now : null;
      if (
        before === after ||
        (before !== null && after !== null && before.points === after.points && before.expiresAtMs === after.expiresAtMs)
      )
        continue;
      writes.set(key, after);
    }
    return writes;
  }
}

/** The settling ops a check's outcome calls for: none for a compared failure. */
export function settleOpsFor(
  part: { onApproved: readonly CounterOp[]; onNotCompared: readonly CounterOp[] },
  record: RecordResult,
): readonly CounterOp[] {
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
