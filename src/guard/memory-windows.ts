import { ExpirySweep } from "../core/expiry-sweep.js";

/** A key's points in its current window. */
interface Window {
  points: number;
  expiresAtMs: number;
}

/** Points after an operation and milliseconds left in the window (at least 1 while it lasts). */
export interface WindowState {
  points: number;
  msLeft: number;
}

/** Windows examined for expiry per window started: amortised O(1) sweeping keeps memory bounded. */
const SWEEP_PER_WRITE = 2;

/**
 * Fixed-window counters in this process, with the semantics of rate-limiter-flexible's memory
 * backend (a window starts at a key's first point and lasts its duration; a block is a window
 * whose points are over the limit) but none of its costs: no timer per key, no promise per call.
 * Every call is synchronous, which is what makes it atomic. Expired windows are dropped when
 * touched and by a clock hand (ExpirySweep) that advances whenever a window is started or set,
 * so keys nobody reads again still go.
 */
export class MemoryWindows {
  readonly #windows = new Map<string, Window>();
  readonly #sweeper = new ExpirySweep(this.#windows, SWEEP_PER_WRITE);

  /** Live and not yet swept windows, for tests. */
  get size(): number {
    return this.#windows.size;
  }

  /** Adds one point, starting a window of `durationMs` if the key has none. */
  take(key: string, durationMs: number): WindowState {
    const now = Date.now();
    const window = this.#live(key, now);
    if (window) {
      window.points += 1;
      return { points: window.points, msLeft: window.expiresAtMs - now };
    }
    this.#sweeper.sweep(now);
    this.#windows.set(key, { points: 1, expiresAtMs: now + durationMs });
    return { points: 1, msLeft: durationMs };
  }

  /** Gives one point back; a key with no window stays without one (never a negative count). */
  giveBack(key: string): void {
    const window = this.#live(key, Date.now());
    if (window) window.points -= 1;
  }

  forget(key: string): void {
    this.#windows.delete(key);
  }

  /** Sets the key's points for a window of `durationMs` from now, replacing any window it had. */
  set(key: string, points: number, durationMs: number): void {
    const now = Date.now();
    this.#sweeper.sweep(now);
    this.#windows.set(key, { points, expiresAtMs: now + durationMs });
  }

  peek(key: string): WindowState | null {
    const now = Date.now();
    const window = this.#live(key, now);
    return window ? { points: window.points, msLeft: window.expiresAtMs - now } : null;
  }

  #live(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key);
    if (window === undefined || window.expiresAtMs > now) return window;
    this.#windows.delete(key);
    return undefined;
  }
}
