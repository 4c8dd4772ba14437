import { createOtp, generateKey, OtpError, type ErrorCode, type OtpOptions } from "../../src/index.js";
import { fakeClock } from "../../src/testing/index.js";

export const KEY_A = generateKey("a");
export const KEY_B = generateKey("b");

/** An engine on the memory store with a fake clock, for engine-level tests: no guard unless given one. */
export function testOtp(options: Partial<OtpOptions> = {}) {
  const clock = fakeClock();
  const otp = createOtp({ keys: KEY_A, clock, guard: false, ...options });
  return { otp, clock };
}

/** A code of the same length that is certainly not `code`. */
export function wrongCode(code: string): string {
  return code
    .split("")
    .map((digit) => String((Number(digit) + 1) % 10))
    .join("");
}

/** Awaits `promise`, expecting an OtpError with `code`; returns it for further assertions. */
export async function expectOtpError(promise: Promise<unknown>, code: ErrorCode): Promise<OtpError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof OtpError)) throw new Error(`expected OtpError ${code}, got ${String(error)}`);
    if (error.code !== code) throw new Error(`expected OtpError ${code}, got ${error.code}`);
    return error;
  }
  throw new Error(`expected OtpError ${code}, but the call succeeded`);
}
