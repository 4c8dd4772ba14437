import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { OtpError } from "../core/errors.js";
import type { CounterFactory, CounterSpec, RemoteLimiter } from "./backend.js";
import { MemoryWindows } from "./memory-windows.js";

export interface Consumed {
  allowed: boolean;
  /** Points used in the current window, this one included. */
  consumed: number;
  /** Whole seconds until the window (or block) ends; at least 1. */
  retryAfterSeconds: number;
}

export interface Peeked {
  consumed: number;
  retryAfterSeconds: number;
}

/**
 * One named limit: atomic consume / refund / reset / block on the backend. In memory the
 * counter is this process's own windows (one map per counter, keyed by the caller's string, so a
 * key's hash is computed once), and the `…Now` calls answer synchronously; elsewhere it is
 * rate-limiter-flexible's. A backend that fails (and has no insurance) is
 * STORE_UNAVAILABLE: never a silent pass. The `…InInsurance` calls count in the insurance limiter
 * only, for an operation that was already sent and may still land on the backend.
 */
export class Counter {
  readonly limit: string;
  readonly max: number;
  readonly windowSeconds: number;
  readonly #keyPrefix: string;
  readonly #windowMs: number;
  /** Set on the memory backend, where every call is synchronous. */
  readonly #windows: MemoryWindows | undefined;
  readonly #remote: RemoteLimiter | undefined;
  readonly #factory: CounterFactory;

  constructor(limit: string, spec: CounterSpec, factory: CounterFactory) {
    this.limit = limit;
    this.max = spec.points;
    this.windowSeconds = spec.durationSeconds;
    this.#keyPrefix = spec.keyPrefix;
    this.#windowMs = spec.durationSeconds * 1000;
    this.#factory = factory;
    this.#windows = factory.kind === "memory" ? new MemoryWindows() : undefined;
    this.#remote = this.#windows ? undefined : factory.create(spec);
  }

  /** True when the counter lives in this process and the `…Now` calls may be used. */
  get local(): boolean {
    return this.#windows !== undefined;
  }

  /** The key as stored on the backend (rate-limiter-flexible's `prefix:key`). */
  storeKey(key: string): string {
    return `${this.#keyPrefix}:${key}`;
  }

  /** A result for points counted elsewhere on this counter's key (the Redis batch). */
  judge(points: number, msLeft: number): Consumed {
    return { allowed: points <= this.max, consumed: points, retryAfterSeconds: secondsOf(msLeft) };
  }

  consumeNow(key: string): Consumed {
    const state = this.#local().take(key, this.#windowMs);
    return this.judge(state.points, state.msLeft);
  }

  refundNow(key: string): void {
    this.#local().giveBack(key);
  }

  resetNow(key: string): void {
    this.#local().forget(key);
  }

  async consume(key: string): Promise<Consumed> {
    if (this.#windows) return this.consumeNow(key);
    if (!this.#factory.ready) await this.#ready();
    return consumeOn(this.#remote!.limiter, key);
  }

  /** `consume` in the insurance limiter only; without insurance, STORE_UNAVAILABLE for `cause`. */
  consumeInInsurance(key: string, cause: unknown): Promise<Consumed> {
    return consumeOn(this.#insurance(cause), key);
  }

  /** `refund` in the insurance limiter only; without insurance, STORE_UNAVAILABLE for `cause`. */
  async refundInInsurance(key: string, cause: unknown): Promise<void> {
    await this.#insurance(cause).reward(key, 1);
  }

  /** `reset` in the insurance limiter only; without insurance, STORE_UNAVAILABLE for `cause`. */
  async resetInInsurance(key: string, cause: unknown): Promise<void> {
    await this.#insurance(cause).delete(key);
  }

  async peek(key: string): Promise<Peeked | null> {
    if (this.#windows) {
      const state = this.#windows.peek(key);
      return state && { consumed: state.points, retryAfterSeconds: secondsOf(state.msLeft) };
    }
    if (!this.#factory.ready) await this.#ready();
    try {
      const res = await this.#remote!.limiter.get(key);
      return res === null ? null : { consumed: res.consumedPoints, retryAfterSeconds: secondsOf(res.msBeforeNext) };
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Gives back one point taken by `consume` (the attempt turned out not to count). */
  async refund(key: string): Promise<void> {
    if (this.#windows) return this.refundNow(key);
    if (!this.#factory.ready) await this.#ready();
    await this.#remote!.limiter.reward(key, 1).catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  async reset(key: string): Promise<void> {
    if (this.#windows) return this.resetNow(key);
    if (!this.#factory.ready) await this.#ready();
    await this.#remote!.limiter.delete(key).catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  /** Refuses `key` for `seconds` from now, whatever its count. */
  async block(key: string, seconds: number): Promise<void> {
    if (this.#windows) return this.#windows.set(key, this.max + 1, seconds * 1000);
    if (!this.#factory.ready) await this.#ready();
    const { limiter, insurance } = this.#remote!;
    // Also in the insurance limiter (which the backend's answer leaves untouched): a later check
    // decided there, while the backend is slow, then sees this lockout and not a bare count over
    // the maximum.
    await Promise.all([
      limiter.block(key, seconds).catch((error: unknown) => {
        throw unavailable(error);
      }),
      insurance?.block(key, seconds),
    ]);
  }

  #local(): MemoryWindows {
    if (!this.#windows) throw new Error("otp-actions: a synchronous counter call on a remote backend");
    return this.#windows;
  }

  #insurance(cause: unknown): RateLimiterAbstract {
    const insurance = this.#remote?.insurance;
    if (!insurance) throw unavailable(cause);
    return insurance;
  }

  #ready(): Promise<void> {
    return this.#factory.ensureReady().catch((error: unknown) => {
      // With insurance the counters carry on in memory until the table can be created.
      if (!this.#factory.insured) throw unavailable(error);
    });
  }
}

async function consumeOn(limiter: RateLimiterAbstract, key: string): Promise<Consumed> {
  try {
    const res = await limiter.consume(key, 1);
    return { allowed: true, consumed: res.consumedPoints, retryAfterSeconds: secondsOf(res.msBeforeNext) };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { allowed: false, consumed: error.consumedPoints, retryAfterSeconds: secondsOf(error.msBeforeNext) };
    throw unavailable(error);
  }
}

function secondsOf(ms: number): number {
  return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

function unavailable(error: unknown): OtpError {
  return error instanceof OtpError ? error : new OtpError("STORE_UNAVAILABLE", { cause: error });
}
