import { DEFAULT_CLOCK_SKEW_MS } from "./with-timeout.js";

/** A whole number within bounds, else a TypeError naming the option: misuse is found at construction. */
export function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`otp-actions: ${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Validates a `timeoutMs` option: misuse is a TypeError at construction, like every option. */
export function timeoutOption(kind: string, value: number | undefined, fallback = 1000): number {
  const timeoutMs = value ?? fallback;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new TypeError(`otp-actions: ${kind}Store timeoutMs must be an integer from 1 to 60000`);
  }
  return timeoutMs;
}

/** Validates a `clockSkewMs` option (0 to 10,000 ms). */
export function clockSkewOption(kind: string, value: number | undefined): number {
  const skewMs = value ?? DEFAULT_CLOCK_SKEW_MS;
  if (!Number.isInteger(skewMs) || skewMs < 0 || skewMs > 10_000) {
    throw new TypeError(`otp-actions: ${kind}Store clockSkewMs must be an integer from 0 to 10000`);
  }
  return skewMs;
}

/**
 * Refuses a key an options object does not have: a misspelt limit (`maxAttempt: 1`) would
 * otherwise leave the default in force without a word.
 */
export function refuseUnknownKeys(value: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new TypeError(`otp-actions: ${where} has no option '${key.slice(0, 40)}'`);
  }
}
