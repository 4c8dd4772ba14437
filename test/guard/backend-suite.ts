/**
 * The same limits against every backend, in real time with short windows: thresholds, atomicity
 * under parallel requests, lockout and its expiry, the per-IP failure budget.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createGuard, type Backend, type GuardOptions, type LedgerStore } from "../../src/index.js";
import { capturingChannel } from "../../src/testing/index.js";
import { email, harness as memoryHarness, input, refusal, wrongCode } from "./helpers.js";

export interface SuiteSettings {
  /** Unique per test (a fresh key prefix or table), so runs never see each other's counters. */
  backend(): Promise<{ backend: Backend; keyPrefix: string; tableName?: string }>;
  /** The ledger; the memory store when absent. */
  store?(): Promise<LedgerStore>;
}

const OFF: GuardOptions = { sendsPerIdentifier: false, resendCooldownSeconds: 0, sendsPerIp: false, failuresPerIp: false, channelBudgets: { email: false }, prefixVelocity: false };

export function backendSuite(name: string, settings: SuiteSettings): void {
  describe(`guard on ${name}`, () => {
    const guardWith = async (options: GuardOptions) => createGuard({ ...OFF, ...(await settings.backend()), insurance: false, ...options });
    const harness = async (options: Parameters<typeof memoryHarness>[0]) => memoryHarness({ ...(settings.store && { store: await settings.store() }), ...options });

    it("sends per identifier: the 3rd passes, the 4th is refused with the window's Retry-After", async () => {
      const { otp } = await harness({ guard: await guardWith({ sendsPerIdentifier: { max: 3, windowSeconds: 120 } }) });
      for (let i = 0; i < 3; i++) await otp.generate(input(email(1)));
      const error = await refusal(otp.generate(input(email(1))));
      expect([error.code, error.limit]).toEqual(["RATE_LIMITED", "sends_per_identifier"]);
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(119);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(120);
    });

    it("50 parallel sends to one identifier deliver no more than the limit", async () => {
      const channel = capturingChannel({ name: "email", accepts: "email" });
      const { otp } = await harness({ channels: [channel], guard: await guardWith({ sendsPerIdentifier: { max: 5, windowSeconds: 600 } }) });
      await Promise.allSettled(Array.from({ length: 50 }, () => otp.start(input(email(1)))));
      expect(channel.messages).toHaveLength(5);
    });

    it("parallel wrong guesses over many codes evaluate at most the failure budget, then the identifier is locked out", async () => {
      const { otp, of } = await harness({ guard: await guardWith({ failuresPerIdentifier: 6 }) });
      const issued = await Promise.all(Array.from({ length: 10 }, () => otp.generate(input(email(1)))));
      const results = await Promise.allSettled(
        issued.flatMap((item) => Array.from({ length: 3 }, () => otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login" }))),
      );
      expect(results.every((result) => result.status === "rejected")).toBe(true);
      expect(of("validation_attempt")).toHaveLength(6);
      expect(of("locked_out")).toEqual([expect.objectContaining({ limit: "failures_per_identifier", retryAfterSeconds: 900 })]);
      const fresh = await refusal(otp.generate(input(email(1))));
      expect([fresh.limit, fresh.retryAfterSeconds! > 890]).toEqual(["failures_per_identifier", true]);
    });

    it("a lockout expires and the user gets in; a success resets the count", async () => {
      const { otp } = await harness({ guard: await guardWith({ failuresPerIdentifier: 2, lockout: { baseSeconds: 1 } }) });
      const first = await otp.generate(input(email(1)));
      await refusal(otp.verify({ code: wrongCode(first.code), context: first.context, purpose: "login" }));
      await refusal(otp.verify({ code: wrongCode(first.code), context: first.context, purpose: "login" }));
      expect((await refusal(otp.verify({ code: first.code, context: first.context, purpose: "login" }))).limit).toBe("failures_per_identifier");
      await sleep(1100);
      await expect(otp.verify({ code: first.code, context: first.context, purpose: "login" })).resolves.toBeTruthy();
      const next = await otp.generate(input(email(1)));
      await refusal(otp.verify({ code: wrongCode(next.code), context: next.context, purpose: "login" }));
      await expect(otp.verify({ code: next.code, context: next.context, purpose: "login" })).resolves.toBeTruthy();
    });

    it("spray: one IP over many identifiers is refused after the per-IP failure budget", async () => {
      const { otp } = await harness({ guard: await guardWith({ failuresPerIp: { max: 10, windowSeconds: 3600 } }) });
      const codes: string[] = [];
      for (let i = 0; i < 30; i++) {
        const issued = await otp.generate(input(email(i)));
        const error = await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: { ip: "203.0.113.5" } }));
        codes.push(error.limit ?? error.code);
      }
      expect(codes.slice(0, 10).every((code) => code === "INVALID_OTP")).toBe(true);
      expect(codes.slice(10).every((code) => code === "failures_per_ip")).toBe(true);
    });

    it("a check refused by its IP costs the identifier nothing; a success gives the IP its point back", async () => {
      const { otp, of } = await harness({ guard: await guardWith({ failuresPerIdentifier: 3, failuresPerIp: { max: 2, windowSeconds: 3600 } }) });
      const [a, b] = [await otp.generate(input(email(1))), await otp.generate(input(email(2)))];
      const check = (item: typeof a, code: string, ip: string) => otp.verify({ code, context: item.context, purpose: "login", client: { ip } });
      const outcome = async (item: typeof a, ip: string) => {
        const error = await refusal(check(item, wrongCode(item.code), ip));
        return error.limit ?? error.code;
      };
      await check(a, a.code, "203.0.113.1");
      expect([await outcome(b, "203.0.113.1"), await outcome(b, "203.0.113.1"), await outcome(b, "203.0.113.1")]).toEqual(["INVALID_OTP", "INVALID_OTP", "failures_per_ip"]);
      // b has two failures, not three: from another IP its third is evaluated, and locks it out.
      expect(await outcome(b, "203.0.113.2")).toBe("INVALID_OTP");
      expect(of("locked_out")).toHaveLength(1);
      expect(await outcome(b, "203.0.113.3")).toBe("failures_per_identifier");
    });
  });
}
