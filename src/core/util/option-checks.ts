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
  return integerIn(`${kind}Store timeoutMs`, value ?? fallback, 1, 60_000);
}

/** Validates a `clockSkewMs` option (0 to 10,000 ms). */
export function clockSkewOption(kind: string, value: number | undefined): number {
  return integerIn(`${kind}Store clockSkewMs`, value ?? DEFAULT_CLOCK_SKEW_MS, 0, 10_000);
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
