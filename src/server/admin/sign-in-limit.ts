/**
 * Sign-in attempts per client address: a fixed window each, in memory. API keys are long enough
 * that guessing one is hopeless anyway; the limit keeps a script from filling the logs and the
 * CPU with attempts, and answers it with 429 and Retry-After like every other limit here.
 */
import { OtpError } from "../../core/errors.js";

export interface SignInLimitOptions {
  /** Attempts one address may make per window. Default 10. */
  maxAttempts?: number;
  /** Default 600 s. */
  windowSeconds?: number;
  /** Addresses tracked at most; past it the oldest window is forgotten. Default 10,000. */
  maxAddresses?: number;
  now?: () => number;
}

/** Throws RATE_LIMITED once an address used up its attempts in the current window; else counts one. */
export function signInLimit(options: SignInLimitOptions = {}): (address: string) => void {
  const maxAttempts = options.maxAttempts ?? 10;
  const windowMs = (options.windowSeconds ?? 600) * 1000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { startMs: number; count: number }>();
  return (address) => {
    const at = now();
    let window = windows.get(address);
    if (window === undefined || at - window.startMs >= windowMs) {
      windows.delete(address);
      while (windows.size >= maxAddresses) windows.delete(windows.keys().next().value!);
      window = { startMs: at, count: 0 };
      windows.set(address, window);
    }
    if (window.count >= maxAttempts) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startMs + windowMs - at) / 1000));
      throw new OtpError("RATE_LIMITED", {
        message: "Too many sign-in attempts from this address.",
        retryAfterSeconds,
        limit: "console_sign_in_per_ip",
      });
    }
    window.count += 1;
  };
}
