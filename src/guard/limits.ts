import { OtpError } from "../core/errors.js";
import type { TakeOp } from "./counters/counter-store.js";
import type { LimitWindow, ResolvedLimits } from "./options.js";

/** Limit names, as they appear in `RATE_LIMITED` errors (`limit`) and `rate_limited` / `locked_out` events. */
export const LIMITS = {
  /** Sends to one identifier closer together than the cooldown. */
  resendCooldown: "resend_cooldown",
  /** Sends to one identifier for one purpose. */
  sendsPerIdentifier: "sends_per_identifier",
  /** Sends from one IP. */
  sendsPerIp: "sends_per_ip",
  /** Sends through one channel, across everyone. */
  channelBudget: "channel_budget",
  /** Distinct numbers under one prefix (SMS pumping). */
  prefixVelocity: "prefix_velocity",
  /** Failed checks for one identifier from one IP. */
  failuresPerIdentifierAndIp: "failures_per_identifier_and_ip",
  /** Failed checks for one identifier across IPs. */
  failuresPerIdentifier: "failures_per_identifier",
  /** Failed checks from one IP across identifiers. */
  failuresPerIp: "failures_per_ip",
} as const;

/** One purpose's resolved limits and where its IP counters count (its own when it has its own IP settings). */
export interface PurposeLimits {
  limits: ResolvedLimits;
  sendIpScope: string;
  failureIpScope: string;
}

/** A channel budget turned off. */
export const OFF: LimitWindow = { max: 0, windowSeconds: 0 };

/** A point taken on a budget of `window`. */
export function take(key: string, window: LimitWindow): TakeOp {
  return { kind: "take", key, max: window.max, windowMs: window.windowSeconds * 1000 };
}

/** Whole seconds to wait, at least one. */
export function secondsOf(ms: number): number {
  return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

/** The error a refused send or check answers. */
export function refusal(limit: string, retryAfterMs: number): OtpError {
  return new OtpError("RATE_LIMITED", { limit, retryAfterSeconds: secondsOf(retryAfterMs) });
}
