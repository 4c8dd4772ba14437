/**
 * The guard's one way of counting: a step of counter operations that a backend applies
 * atomically (one Lua script, one SQL transaction, one synchronous call in memory). Every limit,
 * lockout and budget of the guard is a step; the backends know nothing of what the keys mean.
 */
import type { LedgerStore, RecordResult } from "../../contracts/ledger.js";

/** Refuses the step while `key` holds a live window (a lockout or a block). */
export interface LockOp {
  /** Always `lock`. */
  kind: "lock";
  /** The key the lockout lives on. */
  key: string;
}

/** What a take starts when its count reaches `max`: a lockout whose length doubles per level. */
export interface LockSpec {
  /** The key the lockout lives on (read by `lock` ops). */
  key: string;
  /** Counts lockouts within `levelWindowMs`, for the doubling. */
  levelKey: string;
  /** The first lockout's length. */
  baseMs: number;
  /** The longest a lockout grows to. */
  maxMs: number;
  /** How long lockouts are counted for the doubling. */
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
  /** Always `take`. */
  kind: "take";
  /** The window's key. */
  key: string;
  /** Points the window holds before it refuses (or locks). */
  max: number;
  /** The window's length, from its first point. */
  windowMs: number;
  /** The lockout the take starts at `max`. */
  lock?: LockSpec;
  /** Counted only when this key held no live window before the step (a first send to a number). */
  onlyIfAbsent?: string;
}

/** Drops a window (a run of failures ends). */
export interface ForgetOp {
  /** Always `forget`. */
  kind: "forget";
  /** The window's key. */
  key: string;
}

/** Takes one point back from a live window; the window goes when its last point does. */
export interface GiveBackOp {
  /** Always `giveBack`. */
  kind: "giveBack";
  /** The window's key. */
  key: string;
}

/** Lifts a live lockout (one this caller started) and takes its level back; nothing when none is live. */
export interface UnlockOp {
  /** Always `unlock`. */
  kind: "unlock";
  /** The lockout's key. */
  key: string;
  /** The key counting its levels. */
  levelKey: string;
}

/** One operation of a step. */
export type CounterOp = LockOp | TakeOp | ForgetOp | GiveBackOp | UnlockOp;

/**
 * The ledger's part of a step, on a counter store whose ledger shares its backend: the entry of a
 * new code opened, or a check recorded and then settled by its outcome, all in the one atomic step.
 */
export type LedgerPart =
  | {
      /** Open a new code's entry. */
      kind: "open";
      /** Verification id. */
      id: string;
      /** How long the entry lives, in milliseconds. */
      ttlMs: number;
      /** Attempts already used (carried over by a resend). */
      attempts: number;
    }
  | {
      /** Record a check. */
      kind: "record";
      /** Verification id. */
      id: string;
      /** Whether the code matched. */
      match: boolean;
      /** Checks allowed on the verification. */
      maxAttempts: number;
      /** Run after an approval. */
      onApproved: readonly CounterOp[];
      /** Run when nothing was compared (spent, canceled, exhausted or unknown). A compared failure runs nothing. */
      onNotCompared: readonly CounterOp[];
    };

/** What a counter store applies atomically: the ops, in order, and the ledger's part. */
export interface CounterStep {
  /** The operations, in order; the first that refuses stops the step. */
  ops: readonly CounterOp[];
  /** Only for the counter store's own `ledger`; not run when the ops refuse. */
  ledger?: LedgerPart;
  /**
   * The key whose points number the generation of every key ending in `GENERATION_MARK`: read
   * first, in the same atomic step, and put in place of the mark (see generation.ts). Raising it
   * retires every marked key at once, without knowing them.
   */
  generation?: string;
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
  /** Points in the window after a take; 0 for the other ops. */
  points: number;
  /** The lockout a take started, in milliseconds. */
  lockMs?: number;
}

/** What a step did. */
export interface StepResult {
  /** Set when a `lock` or a plain `take` refused the step; nothing was then written. */
  refused?: {
    /** The op that refused. */
    index: number;
    /** Milliseconds until it would not. */
    retryAfterMs: number;
  };
  /** One result per op, in order. */
  results: OpResult[];
  /** The ledger's answer to a `record` part. */
  record?: RecordResult;
}

/** One atomic primitive per backend. */
export interface CounterStore {
  /** "memory", "sqlite", "postgres" or "redis", for health output and warnings. */
  readonly kind: string;
  /** True when counts are shared with every process on the same backend. */
  readonly shared: boolean;
  /** The ledger store whose check and open a step may carry (built on its backend), if any. */
  readonly ledger?: LedgerStore;
  /** Applies a step atomically: all of it, or nothing when an op refuses or the deadline passed. */
  apply(step: CounterStep): Promise<StepResult>;
  /** Resolves when the backend answers. */
  health?(): Promise<void>;
  /** Creates the table (SQL backends, which otherwise create it on first use); idempotent. */
  migrate?(): Promise<void>;
  /** True when the table exists; read-only. Rejects when the backend cannot be reached. */
  migrated?(): Promise<boolean>;
  /** The table the counters live in (SQL backends), for messages naming what is missing. */
  readonly tableName?: string;
  /** Releases connections the store opened itself. */
  close?(): Promise<void>;
}
