import { randomInt } from "node:crypto";
import { MAX_CODE_LENGTH, MIN_CODE_LENGTH } from "./limits.js";

const POWERS_OF_TEN = Array.from({ length: MAX_CODE_LENGTH + 1 }, (_, i) => 10 ** i);

/**
 * A uniform code of `length` digits from the CSPRNG, leading zeros kept.
 * `randomInt` rejects out-of-range draws internally, so there is no modulo bias;
 * 10^10 is below its 2^48 range limit.
 */
export function generateCode(length: number): string {
  const upper = POWERS_OF_TEN[length];
  if (upper === undefined || length < MIN_CODE_LENGTH) throw new RangeError("code length out of range");
  return randomInt(upper).toString().padStart(length, "0");
}

const DIGITS = /^[0-9]+$/;

/** True for a string of ASCII digits within the allowed lengths: the check made before any crypto. */
export function isPlausibleCode(code: string): boolean {
  return code.length >= MIN_CODE_LENGTH && code.length <= MAX_CODE_LENGTH && DIGITS.test(code);
}
