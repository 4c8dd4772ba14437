/**
 * The ledger: what changes about a verification (attempts used, consumed, revoked), keyed by its
 * id. A store implements atomic primitives only; every policy (limits, windows, what an outcome
 * means to a caller) lives in the engine.
 */

/** What one `record` call decided, atomically. */
export type RecordOutcome =
  /** The code matched and the verification is now consumed. */
  | "approved"
  /** The code did not match; attempts was incremented. */
  | "rejected"
  /** Attempts were already used up; nothing changed. */
  | "exhausted"
  /** Already consumed by an earlier success; nothing changed. */
  | "consumed"
  /** Revoked or replaced (canceled, replaced by a resend, delivery failed); nothing changed. */
  | "revoked"
  /** No such verification: never opened, or expired and purged. */
  | "unknown";

export interface RecordResult {
  outcome: RecordOutcome;
  /** Attempts used after this call (counting an approving one). 0 for `unknown`. */
  attempts: number;
}

/**
 * Why an entry stopped being pending is kept: `revoked` (canceled, or its delivery failed) ended
 * the session, `replaced` (a resend issued a newer verification) did not. A check refuses both
 * alike (`revoked`).
 */
export type LedgerState = "pending" | "consumed" | "revoked" | "replaced" | "unknown";

export interface RevokeResult {
  /** The state before this call; only a `pending` verification becomes revoked or replaced. */
  previous: LedgerState;
  attempts: number;
}

export interface LedgerRevokeOptions {
  /**
   * A resend is revoking it: mark it `replaced` rather than `revoked`, so a later cancel of it can
   * tell that the session goes on. A store that ignores this stays safe, only unable to tell the two apart.
   */
  replaced?: boolean;
}

export interface LedgerStore {
  /** A short name for health output and errors: "memory", "sqlite", "redis", "postgres". */
  readonly kind: string;
  /**
   * True when every operation completes without waiting on I/O (the memory store). The engine
   * then skips its per-call timeout, which such a store can never need.
   */
  readonly inProcess?: boolean;
  /**
   * Creates a pending entry that the store may forget `ttlMs` after now. `attempts` starts above
   * zero when a resend carries over what the previous code used.
   */
  open(id: string, ttlMs: number, attempts?: number): Promise<void>;
  /**
   * The check, in one atomic operation: consumed → `consumed`; revoked → `revoked`;
   * attempts ≥ maxAttempts → `exhausted`; match → consume (attempts+1) → `approved`;
   * else attempts+1 → `rejected`.
   */
  record(id: string, match: boolean, maxAttempts: number): Promise<RecordResult>;
  /** Marks a pending entry revoked (or replaced), atomically; reports what it was before. */
  revoke(id: string, options?: LedgerRevokeOptions): Promise<RevokeResult>;
  /** Resolves when the store answers; rejects when it does not. */
  health(): Promise<void>;
  /** Creates tables or scripts; idempotent. Never called implicitly by a constructor. */
  migrate?(): Promise<void>;
  /** Releases what the store itself created (not a client the user passed in). */
  close(): Promise<void>;
}

/**
 * A counter to take one point from in the same atomic step as a check (a failure budget). Values
 * are points and the key's TTL is the window, rate-limiter-flexible's format, so the same key can
 * be counted either way.
 */
export interface CheckBudget {
  key: string;
  windowSeconds: number;
  /** Points the window allows; the point that goes over refuses the check. */
  max: number;
  /** What an approved check does: forget the key (a run of failures ends), or give its point back. */
  onApproval: "forget" | "giveBack";
}

export interface BudgetedRecordResult {
  /** Index of the budget that refused the check (the ledger was then not touched), or -1. */
  refusedBy: number;
  /** Per budget taken, in order: points after taking, milliseconds left in its window (none when approved). */
  taken: Array<[points: number, msLeft: number]>;
  /** The check's result; undefined when refused. */
  result: RecordResult | undefined;
}

/**
 * A ledger that can run failure budgets and a check in one atomic step (one round trip, or one
 * transaction). The budgets are looked at in order: the first one that a point would take over
 * its max refuses, and the points up to and including it are taken. Otherwise the check runs:
 * an approval takes nothing and applies each budget's `onApproval` ("giveBack" is then nothing to
 * do); any other outcome takes a point from every budget. This is what taking a point from each
 * before the check and settling after would leave, written only where it changes something.
 */
export interface BudgetedLedger extends LedgerStore {
  /** The connection the budgets' keys live on; only a guard on this very client may use it. */
  readonly client: unknown;
  /** False when budgets cannot share a script with the check (a Redis Cluster). */
  readonly budgetsSupported: boolean;
  /** `table`: where a SQL store keeps the counters (the guard's `tableName`); unused by Redis. */
  recordWithBudgets(id: string, match: boolean, maxAttempts: number, budgets: readonly CheckBudget[], table: string): Promise<BudgetedRecordResult>;
}
