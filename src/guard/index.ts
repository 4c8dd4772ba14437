import { DefaultGuard, type AbuseGuard } from "./abuse-guard.js";
import type { GuardOptions } from "./options.js";

/**
 * Abuse protection for `createOtp({ guard })`: send limits, a failure budget with progressive
 * lockout, per-IP budgets, SMS pumping defences. Counters live on `options.backend` (default:
 * memory, one process); give every instance the same Redis, Postgres or SQLite to share limits.
 */
export function createGuard(options: GuardOptions = {}): AbuseGuard {
  return new DefaultGuard(options);
}

export { LIMITS } from "./abuse-guard.js";
export type { AbuseGuard } from "./abuse-guard.js";
export type { Backend } from "./backend.js";
export { clientIpFrom } from "./client-ip.js";
export type { ClientIpInput, TrustProxy } from "./client-ip.js";
export { DEFAULT_LIMITS } from "./options.js";
export type { GuardOptions, LimitSettings, LimitWindow, LockoutSettings, PrefixVelocitySettings } from "./options.js";
