import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { OtpError } from "../core/errors.js";
import type { CounterFactory, CounterSpec } from "./backend.js";

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
 * One named limit over rate-limiter-flexible: atomic consume / refund / reset / block on the
 * backend. A backend that fails (and has no insurance) is STORE_UNAVAILABLE: never a silent pass.
 */
export class Counter {
  readonly limit: string;
  readonly max: number;
  readonly windowSeconds: number;
  readonly #keyPrefix: string;
  readonly #limiter: RateLimiterAbstract;
  readonly #factory: CounterFactory;

  constructor(limit: string, spec: CounterSpec, limiter: RateLimiterAbstract, factory: CounterFactory) {
    this.limit = limit;
    this.max = spec.points;
    this.windowSeconds = spec.durationSeconds;
    this.#keyPrefix = spec.keyPrefix;
    this.#limiter = limiter;
    this.#factory = factory;
  }

  /** The key as stored on the backend (rate-limiter-flexible's `prefix:key`). */
  storeKey(key: string): string {
    return `${this.#keyPrefix}:${key}`;
  }

  /** A result for points counted elsewhere on this counter's key (the Redis batch). */
  judge(points: number, msLeft: number): Consumed {
    return { allowed: points <= this.max, consumed: points, retryAfterSeconds: secondsOf(msLeft) };
  }

  async consume(key: string): Promise<Consumed> {
    if (!this.#factory.ready) await this.#ready();
    try {
      const res = await this.#limiter.consume(key, 1);
      return { allowed: true, consumed: res.consumedPoints, retryAfterSeconds: secondsOf(res.msBeforeNext) };
    } catch (error) {
      if (error instanceof RateLimiterRes) return { allowed: false, consumed: error.consumedPoints, retryAfterSeconds: secondsOf(error.msBeforeNext) };
      throw unavailable(error);
    }
  }

  async peek(key: string): Promise<Peeked | null> {
    if (!this.#factory.ready) await this.#ready();
    try {
      const res = await this.#limiter.get(key);
      return res === null ? null : { consumed: res.consumedPoints, retryAfterSeconds: secondsOf(res.msBeforeNext) };
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Gives back one point taken by `consume` (the attempt turned out not to count). */
  async refund(key: string): Promise<void> {
    if (!this.#factory.ready) await this.#ready();
    await this.#limiter.reward(key, 1).catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  async reset(key: string): Promise<void> {
    if (!this.#factory.ready) await this.#ready();
    await this.#limiter.delete(key).catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  /** Refuses `key` for `seconds` from now, whatever its count. */
  async block(key: string, seconds: number): Promise<void> {
    if (!this.#factory.ready) await this.#ready();
    await this.#limiter.block(key, seconds).catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  #ready(): Promise<void> {
    return this.#factory.ensureReady().catch((error: unknown) => {
      // With insurance the counters carry on in memory until the table can be created.
      if (!this.#factory.insured) throw unavailable(error);
    });
  }
}

function secondsOf(ms: number): number {
  return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

function unavailable(error: unknown): OtpError {
  return error instanceof OtpError ? error : new OtpError("STORE_UNAVAILABLE", { cause: error });
}
