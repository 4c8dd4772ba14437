import { DefaultGuard, type AbuseGuard } from "./default-guard.js";
import type { GuardOptions } from "./options.js";

/**
 * Abuse protection: send limits, failure budgets with progressive lockouts (per identifier + IP,
 * then per identifier across IPs), per-IP budgets, SMS pumping defences. `createOtp` builds one by
 * default on its store's backend; call this to build one yourself (counters default to memory).
 */
export function createGuard(options: GuardOptions = {}): AbuseGuard {
  return new DefaultGuard(options);
}

export { LIMITS } from "./limits.js";
export type { AbuseGuard } from "./default-guard.js";
export { clientIpFrom } from "../core/client-ip.js";
export type { ClientIpInput, TrustProxy } from "../core/client-ip.js";
export { DEFAULT_LIMITS } from "./options.js";
export type { GuardOptions, LimitSettings, LimitWindow, LockoutSettings, PrefixVelocitySettings, ResolvedLimits } from "./options.js";
export { countersFor } from "./counters/for-store.js";
export { memoryCounters, type MemoryCounters } from "./counters/memory.js";
export { sqliteCounters, type SqliteCounters, type SqliteCountersOptions } from "./counters/sqlite.js";
export { postgresCounters, type PostgresCounters, type PostgresCountersOptions } from "./counters/postgres.js";
export { redisCounters, type RedisCounters, type RedisCountersOptions } from "./counters/redis.js";
export type {
  CounterStore,
  CounterStep,
  CounterOp,
  StepResult,
  TakeOp,
  LockOp,
  UnlockOp,
  ForgetOp,
  GiveBackOp,
  LedgerPart,
  LockSpec,
  OpResult,
} from "./counters/counter-store.js";
