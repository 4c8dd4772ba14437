import { afterEach, beforeEach, vi } from "vitest";
import { createOtp, generateKey, type GenerateInput, type Otp, type OtpEvent, type OtpOptions } from "../../src/index.js";
import { OtpError } from "../../src/core/errors.js";

export const KEYS = generateKey("t1");

export interface Harness {
  otp: Otp;
  events: OtpEvent[];
  /** Events of one type. */
  of(type: OtpEvent["type"]): OtpEvent[];
}

export function harness(options: Omit<OtpOptions, "keys">): Harness {
  const otp = createOtp({ keys: KEYS, ...options });
  const events: OtpEvent[] = [];
  otp.on("*", (event) => {
    events.push(event);
  });
  return { otp, events, of: (type) => events.filter((event) => event.type === type) };
}

export { wrongCode } from "./otp.js";

/** Resolves to the OtpError a call rejects with; fails when it resolves or throws something else. */
export async function refusal(promise: Promise<unknown>): Promise<OtpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OtpError) return error;
    throw error;
  }
  throw new Error("expected the call to be refused");
}

export function email(index: number): string {
  return `user${index}@example.com`;
}

export function input(identifier: string, extra: Partial<GenerateInput> = {}): GenerateInput {
  return { identifier, purpose: "login", ...extra };
}

/** Fake timers from 2026-01-01 for every test of the calling `describe`. */
export function useFakeTime(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
