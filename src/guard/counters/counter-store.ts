/**
 * The guard's one way of counting: a step of counter operations that a backend applies
 * atomically (one Lua script, one SQL transaction, one synchronous call in memory). Every limit,
 * lockout and budget of the guard is a step; the backends know nothing of what the keys mean.
 */

/** Refuses the step while `key` holds a live window (a lockout or a block). */
export interface LockOp {
  kind: "lock";
  key: string;
}

/** What a take starts when its count reaches `max`: a lockout whose length doubles per level. */
export interface LockSpec {
  /** The key the lockout lives on (read by `lock` ops). */
  key: string;
  /** Counts lockouts within `levelWindowMs`, for the doubling. */
  levelKey: string;
  baseMs: number;
  maxMs: number;
  levelWindowMs: number;
  /** Start the count afresh when the lockout starts (a block that ends the window), rather than keep it. */
  resetCount?: boolean;
}

/**
 * Adds one point to `key`'s window (starting a window of `windowMs` when it has none).
 * Without `lock`: refuses the step when the window already holds `max` points.
 * With `lock`: never refuses by itself; the point that brings the count to `max` or beyond
 * starts the lockout (while one is live, the step's `lock` op refuses first).
 */
export interface TakeOp {
  kind: "take";
  key: string;
  max: number;
  windowMs: number;
  lock?: LockSpec;
  /** Counted only when this key held no live window before the step (a first send to a number). */
  onlyIfAbsent?: string;
}

/** Drops a window (a run of failures ends). */
export interface ForgetOp {
  kind: "forget";
  key: string;
}

/** Takes one point back from a live window, never below zero. */
export interface GiveBackOp {
  kind: "giveBack";
  key: string;
}

/** Lifts a lockout this caller started, and takes its level back. */
export interface UnlockOp {
  kind: "unlock";
  key: string;
  levelKey: string;
}

export type CounterOp = LockOp | TakeOp | ForgetOp | GiveBackOp | UnlockOp;

export interface CounterStep {
  ops: readonly CounterOp[];
  /** The engine's clock, milliseconds since the epoch: every window is measured on it. */
  nowMs: number;
  /**
   * Wall-clock milliseconds since the epoch after which the backend must not apply the step:
   * it rejects with StoreTimeoutError and changes nothing, so a refusal for slowness is never
   * followed by the step landing later.
   */
  deadlineMs: number;
}

/** Per op, in order: points after a take (0 for the others), and the lockout a take started. */
export interface OpResult {
  points: number;
  lockMs?: number;
}

export interface StepResult {
  /** Set when a `lock` or a plain `take` refused the step; nothing was then written. */
  refused?: { index: number; retryAfterMs: number };
  results: OpResult[];
}

/** One atomic primitive per backend. */
export interface CounterStore {
  /** "memory", "sqlite", "postgres" or "redis", for health output and warnings. */
  readonly kind: string;
  /** True when counts are shared with every process on the same backend. */
  readonly shared: boolean;
  apply(step: CounterStep): Promise<StepResult>;
  /** Resolves when the backend answers. */
  health?(): Promise<void>;
  close?(): Promise<void>;
}
