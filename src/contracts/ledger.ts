/**
 * The ledger: what changes about a verification (attempts used, consumed, revoked), keyed by its
 * id. A store implements atomic primitives only; every policy (limits, windows, what an outcome
 * means to a caller) lives in the engine.
 *
 * Every write takes an optional deadline (`LedgerCallOptions`). Past it, the store applies nothing
 * and rejects with StoreTimeoutError, enforced where the write is applied (in the database's
 * statement or script, not only by a client-side timer), so a caller told "unavailable" can rely
 * on nothing having changed.
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

/** What a `record` call decided and the attempts used after it. */
export interface RecordResult {
  /** What the call decided. */
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

/** What a `revoke` call found. */
export interface RevokeResult {
  /** The state before this call; only a `pending` verification becomes revoked or replaced. */
  previous: LedgerState;
  /** Attempts used on the verification. */
  attempts: number;
}

/** Options of a ledger's `revoke`. */
export interface LedgerRevokeOptions {
  /**
   * A resend is revoking it: mark it `replaced` rather than `revoked`, so a later cancel of it can
   * tell that the session goes on. A store that ignores this stays safe, only unable to tell the two apart.
   */
  replaced?: boolean;
}

/**
 * What `inspect` reads of one verification, changing nothing. `unknown` covers exactly what a
 * check answers `unknown` for: never opened, expired (forgotten or not yet purged), or, on Redis,
 * opened in an earlier epoch.
 */
export type LedgerEntry =
  | {
      /** Where it stands. */
      state: Exclude<LedgerState, "unknown">;
      /** Attempts used on it. */
      attempts: number;
      /** When the store forgets it (epoch ms). */
      expiresAtMs: number;
    }
  | {
      /** Nothing the store holds. */
      state: "unknown";
      /** Always 0. */
      attempts: 0;
    };

/**
 * One deadline per request: the engine computes it once from its per-request bound and passes it
 * to every ledger call the request makes.
 */
export interface LedgerCallOptions {
  /** Epoch milliseconds (wall clock). A store must not apply the operation once this has passed: it rejects with StoreTimeoutError and changes nothing. */
  deadlineMs?: number;
}

/**
 * A ledger whose `open` and `record` can run synchronously inside a caller's atomic step on the
 * same backend (memory, or the same SQLite connection inside the caller's transaction): the
 * guard composes them with its counters so a guarded check stays one transaction. They are the
 * store's own primitives, unchanged; the caller holds the lock and checks the deadline.
 */
export interface SynchronousLedger {
  /** `open`, synchronously, inside the caller's atomic step. */
  openNow(id: string, ttlMs: number, attempts: number): void;
  /** `record`, synchronously, inside the caller's atomic step. */
  recordNow(id: string, match: boolean, maxAttempts: number): RecordResult;
}

/** What an `advance` call found. */
export interface AdvanceResult {
  /** True when the mark was absent (or expired) or below `value`, and now holds `value`. */
  advanced: boolean;
  /** The mark after the call: `value` when it advanced, else the higher or equal one it holds. */
  value: number;
}

/** Where verifications' state lives: a store implements these atomic primitives (see `otp-actions/testing` for its conformance suite). */
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
  open(id: string, ttlMs: number, attempts?: number, options?: LedgerCallOptions): Promise<void>;
  /**
   * The check, in one atomic operation: consumed → `consumed`; revoked → `revoked`;
   * attempts ≥ maxAttempts → `exhausted`; match → consume (attempts+1) → `approved`;
   * else attempts+1 → `rejected`.
   */
  record(id: string, match: boolean, maxAttempts: number, options?: LedgerCallOptions): Promise<RecordResult>;
  /** Marks a pending entry revoked (or replaced), atomically; reports what it was before. */
  revoke(id: string, options?: LedgerRevokeOptions & LedgerCallOptions): Promise<RevokeResult>;
  /**
   * Reads one verification's state, attempts and expiry without changing it. Past the deadline it
   * rejects with StoreTimeoutError, as a write does.
   */
  inspect(id: string, options?: LedgerCallOptions): Promise<LedgerEntry>;
  /**
   * A high-water mark, in one atomic operation: when the mark under `key` is absent, expired or
   * below `value`, it becomes `value` and lives `ttlMs` from now (`advanced`); otherwise nothing
   * changes. What TOTP factors keep server side: the last accepted time step (a code of a step not
   * above it is a replay), a recovery code's use, the current set of recovery codes. Keys contain
   * a ':' and so never meet a verification id. Values are integers in [0, 2^31). Optional, so a
   * store written before it still runs verifications; the engine's TOTP factors need it.
   */
  advance?(key: string, value: number, ttlMs: number, options?: LedgerCallOptions): Promise<AdvanceResult>;
  /** Resolves when the store answers; rejects when it does not. */
  health(): Promise<void>;
  /** Creates tables or scripts; idempotent. Never called implicitly by a constructor. */
  migrate?(): Promise<void>;
  /**
   * True when what `migrate()` creates is there; read-only (a catalog query). Rejects when the
   * store cannot be reached. A production start refuses an unmigrated store with it.
   */
  migrated?(): Promise<boolean>;
  /** Releases what the store itself created (not a client the user passed in). */
  close(): Promise<void>;
}
