import { OtpError } from "../core/errors.js";
import type { TakeOp } from "./counters/counter-store.js";
import type { LimitWindow, ResolvedLimits } from "./options.js";

/** Limit names, as they appear in `RATE_LIMITED` errors (`limit`) and `rate_limited` / `locked_out` events. */
export const LIMITS = {
  resendCooldown: "resend_cooldown",
  sendsPerIdentifier: "sends_per_identifier",
  sendsPerIp: "sends_per_ip",
  channelBudget: "channel_budget",
  prefixVelocity: "prefix_velocity",
  failuresPerIdentifierAndIp: "failures_per_identifier_and_ip",
  failuresPerIdentifier: "failures_per_identifier",
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
