import { ExpirySweep } from "../core/expiry-sweep.js";
import { OldestFirst } from "../core/oldest-first.js";
import type {
  AdvanceResult,
  LedgerCallOptions,
  LedgerEntry,
  LedgerRevokeOptions,
  LedgerState,
  LedgerStore,
  RecordResult,
  RevokeResult,
  SynchronousLedger,
} from "../contracts/ledger.js";
import { deadlinePassed } from "../core/util/with-timeout.js";

/** Options of `memoryStore`. */
export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; the engine's expiry checks use their own clock. */
  now?: () => number;
  /**
   * Upper bound on live entries. Opening one more evicts the oldest; an evicted verification
   * answers `unknown`, which never approves.
   */
  maxEntries?: number;
}

interface Entry {
  attempts: number;
  state: Exclude<LedgerState, "unknown">;
  expiresAtMs: number;
}

/** Entries examined for expiry per `open`: amortised O(1) sweeping keeps memory bounded. */
const SWEEP_PER_OPEN = 2;

/**
 * The library default: one process, zero set-up. Each primitive runs synchronously inside one
 * turn of the event loop, which is what makes it atomic.
 */
export class MemoryStore implements LedgerStore, SynchronousLedger {
  readonly kind = "memory";
  readonly inProcess = true;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #sweeper: ExpirySweep<Entry>;
  readonly #oldest: OldestFirst<string, Entry>;
  /** TOTP marks, apart from verifications: never evicted for room, since a forgotten mark would let a used code pass again. */
  readonly #marks = new Map<string, { value: number; expiresAtMs: number }>();
  readonly #markSweeper = new ExpirySweep(this.#marks, SWEEP_PER_OPEN);

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 1_000_000;
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new TypeError("otp-actions: memoryStore maxEntries must be a positive integer");
    }
    this.#sweeper = new ExpirySweep(this.#entries, SWEEP_PER_OPEN);
    this.#oldest = new OldestFirst(this.#entries);
  }

  /** Live entries, for tests and metrics. */
  get size(): number {
    return this.#entries.size;
  }

  async open(id: string, ttlMs: number, attempts = 0, options?: LedgerCallOptions): Promise<void> {
    checkDeadline(options);
    this.openNow(id, ttlMs, attempts);
  }

  /** `open`, synchronously, inside the caller's atomic step. */
  openNow(id: string, ttlMs: number, attempts: number): void {
    const now = this.#now();
    this.#sweeper.sweep(now);
    this.#oldest.trimTo(this.#maxEntries - 1);
    this.#entries.set(id, { attempts, state: "pending", expiresAtMs: now + ttlMs });
  }

  async record(id: string, match: boolean, maxAttempts: number, options?: LedgerCallOptions): Promise<RecordResult> {
    checkDeadline(options);
    return this.recordNow(id, match, maxAttempts);
  }

  /** `record`, synchronously, inside the caller's atomic step. */
  recordNow(id: string, match: boolean, maxAttempts: number): RecordResult {
    const entry = this.#live(id);
    if (!entry) return { outcome: "unknown", attempts: 0 };
    if (entry.state === "consumed") return { outcome: "consumed", attempts: entry.attempts };
    if (entry.state === "revoked" || entry.state === "replaced") return { outcome: "revoked", attempts: entry.attempts };
    if (entry.attempts >= maxAttempts) return { outcome: "exhausted", attempts: entry.attempts };
    entry.attempts += 1;
    if (match) entry.state = "consumed";
    return { outcome: match ? "approved" : "rejected", attempts: entry.attempts };
  }

  async revoke(id: string, options: LedgerRevokeOptions & LedgerCallOptions = {}): Promise<RevokeResult> {
    checkDeadline(options);
    const entry = this.#live(id);
    if (!entry) return { previous: "unknown", attempts: 0 };
    const previous = entry.state;
    if (previous === "pending") entry.state = options.replaced === true ? "replaced" : "revoked";
    return { previous, attempts: entry.attempts };
  }

  async inspect(id: string, options?: LedgerCallOptions): Promise<LedgerEntry> {
    checkDeadline(options);
    // Read only: an expired entry is left for the sweep, and answers as a check would (unknown).
    const entry = this.#entries.get(id);
    if (!entry || entry.expiresAtMs <= this.#now()) return { state: "unknown", attempts: 0 };
    return { state: entry.state, attempts: entry.attempts, expiresAtMs: entry.expiresAtMs };
  }

  async advance(key: string, value: number, ttlMs: number, options?: LedgerCallOptions): Promise<AdvanceResult> {
    checkDeadline(options);
    const now = this.#now();
    this.#markSweeper.sweep(now);
    const mark = this.#marks.get(key);
    if (mark && mark.expiresAtMs > now && mark.value >= value) return { advanced: false, value: mark.value };
    this.#marks.set(key, { value, expiresAtMs: now + ttlMs });
    return { advanced: true, value };
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    this.#entries.clear();
    this.#marks.clear();
  }

  #live(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry && entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry;
  }
}

/** The deadline is wall-clock time (the engine's), whatever `now` the store was given for expiry. */
function checkDeadline(options: LedgerCallOptions | undefined): void {
  const deadlineMs = options?.deadlineMs;
  if (deadlineMs !== undefined && !(Date.now() < deadlineMs)) throw deadlinePassed("memory");
}

/** A ledger in this process's memory: one process, nothing survives a restart. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
