import { describe, expect, it } from "vitest";
import { memoryStore } from "../../src/stores/memory.js";
import type { LedgerStore } from "../../src/contracts/ledger.js";
import { capturingChannel } from "../../src/testing/index.js";
import { expectOtpError, testOtp, wrongCode } from "../helpers/otp.js";

describe("resend", () => {
  it("delivers a new code, kills the old one, and keeps the session window", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp, clock } = testOtp({ channels: [channel] });
    const first = await otp.start({ identifier: "user@example.com", purpose: "login" });
    expect(first).not.toHaveProperty("code");
    const oldCode = channel.lastCodeFor("user@example.com")!;
    clock.advance(60_000);
    const second = await otp.resend({ context: first.context });
    const newCode = channel.lastCodeFor("user@example.com")!;
    expect(channel.messages).toHaveLength(2);
    expect(second.id).not.toBe(first.id);
    expect(second.sessionExpiresAt).toEqual(first.sessionExpiresAt);
    await expectOtpError(otp.verify({ code: oldCode, context: first.context, purpose: "login" }), "CANCELED");
    await expect(otp.verify({ code: newCode, context: second.context, purpose: "login" })).resolves.toMatchObject({ id: second.id });
  });

  it("never buys more guesses: attempts carry over to the new code", async () => {
    const { otp } = testOtp();
    const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expectOtpError(otp.verify({ code: wrongCode(first.code), context: first.context, purpose: "login" }), "INVALID_OTP");
    await expectOtpError(otp.verify({ code: wrongCode(first.code), context: first.context, purpose: "login" }), "INVALID_OTP");
    const second = await otp.regenerate({ context: first.context });
    const error = await expectOtpError(
      otp.verify({ code: wrongCode(second.code), context: second.context, purpose: "login" }),
      "INVALID_OTP",
    );
    expect(error.attemptsRemaining).toBe(0);
    const third = await otp.regenerate({ context: second.context });
    await expectOtpError(otp.verify({ code: third.code, context: third.context, purpose: "login" }), "MAX_RETRIES_EXCEEDED");
  });

  it("a context can be resent once; parallel resends produce one successor", async () => {
    const { otp } = testOtp();
    const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => otp.regenerate({ context: first.context })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    await expectOtpError(otp.regenerate({ context: first.context }), "CANCELED");
  });

  it("caps the sends of one session", async () => {
    const { otp } = testOtp({ maxSendsPerSession: 3 });
    let { context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    context = (await otp.regenerate({ context })).context;
    context = (await otp.regenerate({ context })).context;
    const error = await expectOtpError(otp.regenerate({ context }), "RATE_LIMITED");
    expect(error.limit).toBe("sends_per_session");
    expect(error.retryAfterSeconds).toBe(900);
  });

  it("keeps a per-call code TTL for the new code, still capped by the session end", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp, clock } = testOtp({ channels: [channel] });
    const first = await otp.start({ identifier: "user@example.com", purpose: "login", codeTtlSeconds: 60, sessionTtlSeconds: 120 });
    clock.advance(10_000);
    const second = await otp.regenerate({ context: first.context });
    expect(second.expiresAt.getTime() - clock.now()).toBe(60_000);
    clock.advance(60_000);
    await expectOtpError(otp.verify({ code: second.code, context: second.context, purpose: "login" }), "OTP_EXPIRED");
    const third = await otp.resend({ context: second.context });
    expect(third.expiresAt).toEqual(first.sessionExpiresAt);
  });

  it("refuses to resend a used verification", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await otp.verify({ code, context, purpose: "login" });
    await expectOtpError(otp.regenerate({ context }), "ALREADY_USED");
  });
});

describe("cancel after a resend", () => {
  it("refuses to cancel a replaced context: the session goes on, so the caller must hear it", async () => {
    const { otp } = testOtp();
    const revoked: string[] = [];
    otp.on("revoked", (event) => {
      revoked.push(event.id!);
    });
    const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const second = await otp.regenerate({ context: first.context });
    const error = await expectOtpError(otp.revoke(first.context), "CANCELED");
    expect(error.status).toBe(410);
    expect(error.message).toMatch(/replaced by a newer/);
    expect(revoked).toEqual([first.id]);
    await expect(otp.verify({ code: second.code, context: second.context, purpose: "login" })).resolves.toMatchObject({ id: second.id });
  });

  it("cancels the newest context, and again idempotently; a resend of it is then CANCELED", async () => {
    const { otp } = testOtp();
    const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const second = await otp.regenerate({ context: first.context });
    expect(await otp.revoke(second.context)).toEqual({ id: second.id, status: "canceled" });
    expect(await otp.revoke(second.context)).toEqual({ id: second.id, status: "canceled" });
    await expectOtpError(otp.verify({ code: second.code, context: second.context, purpose: "login" }), "CANCELED");
    await expectOtpError(otp.regenerate({ context: second.context }), "CANCELED");
    await expectOtpError(otp.regenerate({ context: first.context }), "CANCELED");
  });

  it("never lets a cancel and a resend of one context both succeed", async () => {
    const real = memoryStore();
    // Each revoke reaches the store after a random pause, so either side may get there first.
    const { otp } = testOtp({
      store: {
        ...delegatingTo(real),
        revoke: async (...args) => {
          await pause(Math.random() * 3);
          return real.revoke(...args);
        },
      },
    });
    for (let round = 0; round < 20; round++) {
      const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      const settled = await Promise.allSettled([otp.revoke(first.context), otp.regenerate({ context: first.context })]);
      expect(
        settled.filter((result) => result.status === "fulfilled"),
        `round ${round}`,
      ).toHaveLength(1);
      const refused = settled.find((result) => result.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "CANCELED" });
    }
  });

  it("stays safe on a store that cannot tell a replaced entry from a canceled one", async () => {
    const real = memoryStore();
    // A store written before replaced entries existed: it ignores revoke's second argument.
    const { otp } = testOtp({ store: { ...delegatingTo(real), revoke: (id) => real.revoke(id) } });
    const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const second = await otp.regenerate({ context: first.context });
    expect(await otp.revoke(first.context)).toEqual({ id: first.id, status: "canceled" });
    await expectOtpError(otp.verify({ code: first.code, context: first.context, purpose: "login" }), "CANCELED");
    await expectOtpError(otp.regenerate({ context: first.context }), "CANCELED");
    await expect(otp.verify({ code: second.code, context: second.context, purpose: "login" })).resolves.toMatchObject({ id: second.id });
  });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A custom store: every primitive passed through to `real`. */
function delegatingTo(real: LedgerStore): LedgerStore {
  return {
    kind: "custom",
    open: (...args) => real.open(...args),
    record: (...args) => real.record(...args),
    revoke: (...args) => real.revoke(...args),
    inspect: (...args) => real.inspect(...args),
    health: () => real.health(),
    close: () => real.close(),
  };
}
