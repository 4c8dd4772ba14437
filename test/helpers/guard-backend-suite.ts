/**
 * The same limits against every backend, in real time with short windows: thresholds, atomicity
 * under parallel requests, lockouts and their expiry, the per-IP failure budget, and the attacks
 * that used to turn the guard into a weapon.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createGuard, type CounterStore, type GuardOptions, type LedgerStore } from "../../src/index.js";
import { capturingChannel } from "../../src/testing/index.js";
import { email, harness as memoryHarness, input, refusal, wrongCode } from "./guard.js";

export interface SuiteSettings {
  /** Fresh counters per test (a new key prefix or table), so runs never see each other's counts. */
  counters(): Promise<CounterStore>;
  /** The ledger; the memory store when absent. */
  store?(): Promise<LedgerStore>;
}

const OFF: GuardOptions = {
  sendsPerIdentifier: false,
  resendCooldownSeconds: 0,
  sendsPerIp: false,
  failuresPerIp: false,
  channelBudgets: { email: false },
  prefixVelocity: false,
};
const VICTIM_IP = { ip: "198.51.100.7" };
const ATTACKER_IP = { ip: "203.0.113.66" };

export function backendSuite(name: string, settings: SuiteSettings): void {
  describe(`guard on ${name}`, () => {
    const guardWith = async (options: GuardOptions): Promise<GuardOptions> => ({ ...OFF, counters: await settings.counters(), ...options });
    const harness = async (options: Parameters<typeof memoryHarness>[0]) =>
      memoryHarness({ ...(settings.store && { store: await settings.store() }), ...options });

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
      const { otp } = await harness({
        channels: [channel],
        guard: await guardWith({ sendsPerIdentifier: { max: 5, windowSeconds: 600 } }),
      });
      await Promise.allSettled(Array.from({ length: 50 }, () => otp.start(input(email(1)))));
      expect(channel.messages).toHaveLength(5);
    });

    it("parallel wrong guesses over many codes from one IP evaluate at most that pair's budget, then the pair is locked out", async () => {
      const { otp, of } = await harness({ guard: await guardWith({ failuresPerIdentifierAndIp: 6, failuresPerIdentifier: 20 }) });
      const issued = await Promise.all(Array.from({ length: 10 }, () => otp.generate(input(email(1)))));
      const results = await Promise.allSettled(
        issued.flatMap((item) =>
          Array.from({ length: 3 }, () =>
            otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login", client: ATTACKER_IP }),
          ),
        ),
      );
      expect(results.every((result) => result.status === "rejected")).toBe(true);
      expect(of("validation_attempt")).toHaveLength(6);
      expect(of("locked_out")).toEqual([expect.objectContaining({ limit: "failures_per_identifier_and_ip", retryAfterSeconds: 900 })]);
      const again = await refusal(
        otp.verify({ code: issued[9]!.code, context: issued[9]!.context, purpose: "login", client: ATTACKER_IP }),
      );
      expect([again.limit, again.retryAfterSeconds! > 890]).toEqual(["failures_per_identifier_and_ip", true]);
      // The owner, on another network, still verifies.
      await expect(
        otp.verify({ code: issued[9]!.code, context: issued[9]!.context, purpose: "login", client: VICTIM_IP }),
      ).resolves.toBeTruthy();
    });

    it("failures across IPs lock the factor at the higher budget, never more evaluated than it", async () => {
      const { otp, of } = await harness({ guard: await guardWith({ failuresPerIdentifierAndIp: 2, failuresPerIdentifier: 6 }) });
      const issued = await Promise.all(Array.from({ length: 10 }, () => otp.generate(input(email(1)))));
      await Promise.allSettled(
        issued.flatMap((item, i) =>
          Array.from({ length: 3 }, () =>
            otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login", client: { ip: `203.0.113.${i}` } }),
          ),
        ),
      );
      expect(of("validation_attempt")).toHaveLength(6);
      const locked = await refusal(otp.generate(input(email(1))));
      expect(locked.limit).toBe("failures_per_identifier");
    });

    it("a lockout expires and the user gets in; a success resets the count", async () => {
      const { otp } = await harness({ guard: await guardWith({ failuresPerIdentifierAndIp: 2, lockout: { baseSeconds: 1 } }) });
      const first = await otp.generate(input(email(1)));
      const check = (code: string, context: string) => otp.verify({ code, context, purpose: "login", client: VICTIM_IP });
      await refusal(check(wrongCode(first.code), first.context));
      await refusal(check(wrongCode(first.code), first.context));
      expect((await refusal(check(first.code, first.context))).limit).toBe("failures_per_identifier_and_ip");
      await sleep(1100);
      await expect(check(first.code, first.context)).resolves.toBeTruthy();
      const next = await otp.generate(input(email(1)));
      await refusal(check(wrongCode(next.code), next.context));
      await expect(check(next.code, next.context)).resolves.toBeTruthy();
    });

    it("spray: one IP over many identifiers is refused after the per-IP failure budget", async () => {
      const { otp } = await harness({ guard: await guardWith({ failuresPerIp: { max: 10, windowSeconds: 3600 } }) });
      const codes: string[] = [];
      for (let i = 0; i < 30; i++) {
        const issued = await otp.generate(input(email(i)));
        const error = await refusal(
          otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: { ip: "203.0.113.5" } }),
        );
        codes.push(error.limit ?? error.code);
      }
      expect(codes.slice(0, 10).every((code) => code === "INVALID_OTP")).toBe(true);
      expect(codes.slice(10).every((code) => code === "failures_per_ip")).toBe(true);
    });

    it("the lockout weapon: replaying one context, or a used one, costs the attacker's IP and never the victim", async () => {
      const { otp } = await harness({
        guard: await guardWith({
          failuresPerIdentifierAndIp: 3,
          failuresPerIdentifier: 5,
          failuresPerIp: { max: 30, windowSeconds: 3600 },
        }),
      });
      // The attacker asks for a code for the victim and replays its context with wrong codes,
      // past its attempts; then replays a context the victim already used.
      const attackers = await otp.generate(input(email(1)));
      const replies: string[] = [];
      for (let i = 0; i < 10; i++)
        replies.push(
          (
            await refusal(
              otp.verify({ code: wrongCode(attackers.code), context: attackers.context, purpose: "login", client: ATTACKER_IP }),
            )
          ).limit ?? "",
        );
      const used = await otp.generate(input(email(1)));
      await otp.verify({ code: used.code, context: used.context, purpose: "login", client: VICTIM_IP });
      // From ten addresses, so no pair lockout of the attacker's stands in the way of the replays.
      for (let i = 0; i < 10; i++)
        await refusal(otp.verify({ code: used.code, context: used.context, purpose: "login", client: { ip: `203.0.113.${100 + i}` } }));
      // Three compared guesses locked only the attacker's own pair.
      expect(replies.slice(3).every((limit) => limit === "failures_per_identifier_and_ip")).toBe(true);
      // The victim still receives a code and verifies it from their own network.
      const mine = await otp.generate(input(email(1), { client: VICTIM_IP }));
      await expect(otp.verify({ code: mine.code, context: mine.context, purpose: "login", client: VICTIM_IP })).resolves.toBeTruthy();
    });

    it("50 parallel submissions of the right code: one approval, no lockout, the next send allowed", async () => {
      const { otp, of } = await harness({
        guard: await guardWith({ resendCooldownSeconds: 1, sendsPerIdentifier: { max: 5, windowSeconds: 600 } }),
      });
      const issued = await otp.generate(input(email(1)));
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () => otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: VICTIM_IP })),
      );
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      expect(of("locked_out")).toHaveLength(0);
      await sleep(1050);
      const next = await otp.generate(input(email(1)));
      await refusal(otp.verify({ code: wrongCode(next.code), context: next.context, purpose: "login", client: VICTIM_IP }));
      await expect(otp.verify({ code: next.code, context: next.context, purpose: "login", client: VICTIM_IP })).resolves.toBeTruthy();
    });

    it("a check refused by its IP costs the identifier nothing; a success gives the IP its point back", async () => {
      const { otp, of } = await harness({
        guard: await guardWith({ failuresPerIdentifierAndIp: 3, failuresPerIdentifier: 3, failuresPerIp: { max: 2, windowSeconds: 3600 } }),
      });
      const [a, b] = [await otp.generate(input(email(1))), await otp.generate(input(email(2)))];
      const check = (item: typeof a, code: string, ip: string) =>
        otp.verify({ code, context: item.context, purpose: "login", client: { ip } });
      const outcome = async (item: typeof a, ip: string) => {
        const error = await refusal(check(item, wrongCode(item.code), ip));
        return error.limit ?? error.code;
      };
      await check(a, a.code, "203.0.113.1");
      expect([await outcome(b, "203.0.113.1"), await outcome(b, "203.0.113.1"), await outcome(b, "203.0.113.1")]).toEqual([
        "INVALID_OTP",
        "INVALID_OTP",
        "failures_per_ip",
      ]);
      // b has two failures, not three: from another IP its third is evaluated, and locks it out.
      const c = await otp.generate(input(email(2)));
      expect(await outcome(c, "203.0.113.2")).toBe("INVALID_OTP");
      expect(of("locked_out")).toHaveLength(1);
      expect(await outcome(c, "203.0.113.3")).toBe("failures_per_identifier");
    });

    it("lockout notices: of 20 parallel claims for one identifier exactly one is granted, until its window ends", async () => {
      const guard = createGuard(await guardWith({}));
      const claim = (identifierHash: string, windowMs: number) =>
        guard.claimNotice({ identifierHash, windowMs, nowMs: Date.now(), deadlineMs: Date.now() + 5_000 });
      const granted = await Promise.all(Array.from({ length: 20 }, () => claim("victim-hash-0123456789", 1_000)));
      expect(granted.filter(Boolean)).toHaveLength(1);
      // Another identifier has its own allowance.
      expect(await claim("other-hash-0123456789a", 1_000)).toBe(true);
      await sleep(1_100);
      expect(await claim("victim-hash-0123456789", 1_000)).toBe(true);
    });

    it("an operator lifts a lockout: from every IP and across IPs, and the same user verifies a new code at once", async () => {
      const { otp, of } = await harness({ guard: await guardWith({ failuresPerIdentifierAndIp: 3, failuresPerIdentifier: 6 }) });
      const wrongFrom = async (ip: string, times: number) => {
        for (let i = 0; i < times; i++) {
          const item = await otp.generate(input(email(1), { client: { ip } }));
          await refusal(otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login", client: { ip } }));
        }
      };
      await wrongFrom(VICTIM_IP.ip, 3);
      await wrongFrom(ATTACKER_IP.ip, 3);
      // The attacker's third failure locks its pair and the factor at once (one event, the factor's).
      expect(of("locked_out").map((event) => event.limit)).toEqual(["failures_per_identifier_and_ip", "failures_per_identifier"]);
      expect((await refusal(otp.generate(input(email(1), { client: VICTIM_IP })))).limit).toBe("failures_per_identifier");

      const lifted = await otp.unlock({ identifier: email(1).toUpperCase(), purpose: "login", actor: "key_test00000000" });
      expect(lifted).toEqual({ purpose: "login", identifierHash: otp.keyring.identifierHash(email(1)), lifted: true });
      expect(of("unlocked")).toEqual([
        expect.objectContaining({ purpose: "login", identifierHash: lifted.identifierHash, actor: "key_test00000000" }),
      ]);
      const fresh = await otp.generate(input(email(1), { client: VICTIM_IP }));
      await expect(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login", client: VICTIM_IP })).resolves.toBeTruthy();
      // The attacker's pair was lifted too, and its run of failures starts again from nothing:
      // two are evaluated without a lockout, the third (its budget) locks the pair again.
      await wrongFrom(ATTACKER_IP.ip, 2);
      expect(of("locked_out")).toHaveLength(2);
      await wrongFrom(ATTACKER_IP.ip, 1);
      expect(of("locked_out").map((event) => event.limit)).toEqual([
        "failures_per_identifier_and_ip",
        "failures_per_identifier",
        "failures_per_identifier_and_ip",
      ]);
    });

    it("lifting one user's lockout leaves the spraying IP's own failure budget as it was", async () => {
      const { otp } = await harness({
        guard: await guardWith({
          failuresPerIdentifierAndIp: 2,
          failuresPerIdentifier: 10,
          failuresPerIp: { max: 3, windowSeconds: 3600 },
        }),
      });
      const guess = async (index: number) => {
        const item = await otp.generate(input(email(index)));
        const error = await refusal(
          otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login", client: ATTACKER_IP }),
        );
        return error.limit ?? error.code;
      };
      expect([await guess(1), await guess(2), await guess(3), await guess(4)]).toEqual([
        "INVALID_OTP",
        "INVALID_OTP",
        "INVALID_OTP",
        "failures_per_ip",
      ]);
      for (const index of [1, 2, 3]) await otp.unlock({ identifier: email(index), purpose: "login" });
      expect(await guess(5)).toBe("failures_per_ip");
      expect(await guess(1)).toBe("failures_per_ip");
    });

    it("lifts racing parallel checks and sends of the same user never deadlock nor fail for want of a store", async () => {
      const { otp } = await harness({ guard: await guardWith({ failuresPerIdentifierAndIp: 2, failuresPerIdentifier: 5 }) });
      const issued = await Promise.all(Array.from({ length: 6 }, () => otp.generate(input(email(1)))));
      const codes = [
        ...issued.map((item, i) =>
          otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login", client: { ip: `203.0.113.${i % 3}` } }),
        ),
        ...Array.from({ length: 4 }, () => otp.unlock({ identifier: email(1), purpose: "login" })),
        ...Array.from({ length: 4 }, (_, i) => otp.generate(input(email(1), { client: { ip: `203.0.113.${i}` } }))),
      ];
      const settled = await Promise.allSettled(codes);
      const codesOf = settled.flatMap((result) => (result.status === "rejected" ? [(result.reason as { code?: string }).code] : []));
      expect(codesOf.filter((code) => code !== "INVALID_OTP" && code !== "RATE_LIMITED")).toEqual([]);
      const fresh = await otp.generate(input(email(1), { client: VICTIM_IP }));
      await otp.unlock({ identifier: email(1), purpose: "login" });
      await expect(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login", client: VICTIM_IP })).resolves.toBeTruthy();
    });
  });
}
