import { consoleChannel, createOtp, type Otp } from "otp-actions";
import { memoryStore } from "otp-actions/stores/memory";

// One engine per server process, made on first use: `next build` loads the routes without the
// runtime's secrets, and globalThis keeps the one instance that every route handler shares.
const holder = globalThis as typeof globalThis & { otpActions?: Otp };

/**
 * OTP_KEYS from `npx otp-actions keygen`; every instance and restart must seal with the same keys.
 * The memory store suits one `next start` process; serverless or several instances need a shared
 * store (otp-actions/stores/redis, …). The console channel prints codes: give it your email channel
 * in production.
 */
export function otp(): Otp {
  holder.otpActions ??= createOtp({ keys: process.env.OTP_KEYS, store: memoryStore(), channels: [consoleChannel()] });
  return holder.otpActions;
}
