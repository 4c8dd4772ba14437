import { ExpirySweep } from "../../core/expiry-sweep.js";
import type { LedgerStore, SynchronousLedger } from "../../contracts/ledger.js";
import { StoreTimeoutError } from "../../core/util/with-timeout.js";
import type { CounterStep, CounterStore, StepResult } from "./counter-store.js";
import { planStep, type Window } from "./step.js";

/** Windows examined for expiry per step that writes: amortised O(1) sweeping keeps memory bounded. */
const SWEEP_PER_WRITE = 2;

/**
 * Counters in this process: one Map, each step planned and applied in one synchronous call, which
 * is what makes it atomic. Expired windows are dropped by a clock hand that advances with every
 * write, so keys nobody reads again still go.
 */
export class MemoryCounters implements CounterStore {
  readonly kind = "memory";
  readonly shared = false;
  readonly ledger: (SynchronousLedger & LedgerStore) | undefined;
  readonly #windows = new Map<string, Window>();
  readonly #sweeper = new ExpirySweep(this.#windows, SWEEP_PER_WRITE);

  /** `ledger`: the memory store beside these counters, whose check then runs in the same step. */
  constructor(options: { ledger?: SynchronousLedger & LedgerStore } = {}) {
    this.ledger = options.ledger;
  }

  /** Windows held, live or not yet swept (tests). */
  get size(): number {
    return this.#windows.size;
  }

  /** Applies a step atomically: all of it, or nothing when an op refuses or the deadline passed. */
  async apply(step: CounterStep): Promise<StepResult> {
    return this.applyNow(step);
  }

  /** `apply`, synchronously. */
  applyNow(step: CounterStep): StepResult {
    if (Date.now() > step.deadlineMs) throw new StoreTimeoutError("guard", 0);
    const { result, writes } = planStep((key) => this.#windows.get(key), step, this.ledger);
    if (writes.size > 0) this.#sweeper.sweep(step.nowMs);
    for (const [key, window] of writes) {
      if (window === null) this.#windows.delete(key);
      else this.#windows.set(key, window);
    }
    return result;
  }
}

/** Counters in this process's memory: for one process, or tests. */
export function memoryCounters(): MemoryCounters {
  return new MemoryCounters();
}
