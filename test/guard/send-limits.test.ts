import { describe, expect, it, vi } from "vitest";
import { createGuard, type GuardOptions } from "../../src/index.js";
import { capturingChannel } from "../../src/testing/index.js";
import { email, harness, input, refusal, useFakeTime } from "../helpers/guard.js";

// Every limit off but the one under test, so each test shows one limit at its threshold.
const OFF: GuardOptions = {
  sendsPerIdentifier: false,
  resendCooldownSeconds: 0,
  sendsPerIp: false,
  channelBudgets: { sms: false, email: false },
  prefixVelocity: false,
};

describe("send limits (memory backend, fake time)", () => {
  useFakeTime();

  it("sends per identifier + purpose: the 5th passes, the 6th is RATE_LIMITED until the window ends", async () => {
    const { otp, of } = harness({ guard: createGuard({ ...OFF, sendsPerIdentifier: { max: 5, windowSeconds: 600 } }) });
    for (let i = 0; i < 5; i++) await otp.generate(input(email(1)));
    vi.advanceTimersByTime(100_000);
    const error = await refusal(otp.generate(input(email(1))));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.status).toBe(429);
    expect(error.limit).toBe("sends_per_identifier");
    expect(error.retryAfterSeconds).toBe(500);
    expect(error.toBody()).toMatchObject({ error_code: "RATE_LIMITED", retry_after_seconds: 500 });
    expect(of("rate_limited")).toEqual([
      expect.objectContaining({ limit: "sends_per_identifier", retryAfterSeconds: 500, purpose: "login" }),
    ]);
    // Other identifiers and other purposes have their own budget.
    await otp.generate(input(email(2)));
    await otp.generate(input(email(1), { purpose: "password_reset" }));
    vi.advanceTimersByTime(500_000);
    await expect(otp.generate(input(email(1)))).resolves.toBeTruthy();
  });

  it("resend cooldown: a second code within the cooldown is refused, through generate and resend", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = harness({ channels: [channel], guard: createGuard({ ...OFF, resendCooldownSeconds: 30 }) });
    const first = await otp.start(input(email(1)));
    vi.advanceTimersByTime(10_000);
    const resend = await refusal(otp.resend({ context: first.context }));
    expect([resend.code, resend.limit, resend.retryAfterSeconds]).toEqual(["RATE_LIMITED", "resend_cooldown", 20]);
    const again = await refusal(otp.generate(input(email(1))));
    expect(again.limit).toBe("resend_cooldown");
    vi.advanceTimersByTime(20_000);
    await otp.resend({ context: first.context });
    expect(channel.messages).toHaveLength(2);
  });

  it("sends per IP: across identifiers, the 3rd passes and the 4th is refused; IPv6 counts by /64", async () => {
    const { otp } = harness({ guard: createGuard({ ...OFF, sendsPerIp: { max: 3, windowSeconds: 3600 } }) });
    const client = { ip: "198.51.100.7" };
    for (let i = 0; i < 3; i++) await otp.generate(input(email(i), { client }));
    const error = await refusal(otp.generate(input(email(99), { client })));
    expect([error.limit, error.retryAfterSeconds]).toEqual(["sends_per_ip", 3600]);
    await otp.generate(input(email(99), { client: { ip: "198.51.100.8" } }));

    for (let i = 0; i < 3; i++) await otp.generate(input(email(100 + i), { client: { ip: `2001:db8:1:2::${i + 1}` } }));
    const rotated = await refusal(otp.generate(input(email(200), { client: { ip: "2001:db8:1:2:ffff:ffff:ffff:ffff" } })));
    expect(rotated.limit).toBe("sends_per_ip");
    await otp.generate(input(email(200), { client: { ip: "2001:db8:1:3::1" } }));
  });

  it("channel budget: a global ceiling per channel, whatever the identifier or IP", async () => {
    const { otp } = harness({ guard: createGuard({ ...OFF, channelBudgets: { email: { max: 4, windowSeconds: 3600 } } }) });
    for (let i = 0; i < 4; i++) await otp.generate(input(email(i), { channel: "email" }));
    const error = await refusal(otp.generate(input(email(50), { channel: "email" })));
    expect([error.limit, error.retryAfterSeconds]).toEqual(["channel_budget", 3600]);
  });

  it("per-purpose overrides replace the default for that purpose only", async () => {
    const guard = createGuard({
      ...OFF,
      sendsPerIdentifier: { max: 5, windowSeconds: 600 },
      purposes: { payment: { sendsPerIdentifier: { max: 1, windowSeconds: 60 } } },
    });
    const { otp } = harness({ guard });
    await otp.generate(input(email(1), { purpose: "payment" }));
    const error = await refusal(otp.generate(input(email(1), { purpose: "payment" })));
    expect([error.limit, error.retryAfterSeconds]).toEqual(["sends_per_identifier", 60]);
    for (let i = 0; i < 5; i++) await otp.generate(input(email(1)));
  });

  it("50 parallel sends to one identifier deliver no more than the limit", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = harness({ channels: [channel], guard: createGuard({ ...OFF, sendsPerIdentifier: { max: 5, windowSeconds: 600 } }) });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => otp.start(input(email(1)))));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(5);
    expect(channel.messages).toHaveLength(5);
  });

  it("50 parallel sends with the cooldown on deliver exactly one", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = harness({ channels: [channel], guard: createGuard({ ...OFF, resendCooldownSeconds: 30 }) });
    await Promise.allSettled(Array.from({ length: 50 }, () => otp.start(input(email(1)))));
    expect(channel.messages).toHaveLength(1);
  });

  it("the defaults hold without any option: 5 sends per identifier per 10 minutes, a 30 s cooldown", async () => {
    const { otp } = harness({ guard: createGuard() });
    await otp.generate(input(email(1)));
    expect((await refusal(otp.generate(input(email(1))))).limit).toBe("resend_cooldown");
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(30_000);
      await otp.generate(input(email(1)));
    }
    vi.advanceTimersByTime(30_000);
    const error = await refusal(otp.generate(input(email(1))));
    expect([error.limit, error.retryAfterSeconds]).toEqual(["sends_per_identifier", 450]);
  });

  it("sends per session (the engine's cap) still applies with a guard: the 2nd code passes, the 3rd is refused", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = harness({ channels: [channel], maxSendsPerSession: 2, guard: createGuard(OFF) });
    const first = await otp.start(input(email(1)));
    const second = await otp.resend({ context: first.context });
    const error = await refusal(otp.resend({ context: second.context }));
    expect([error.code, error.limit, error.retryAfterSeconds]).toEqual(["RATE_LIMITED", "sends_per_session", 900]);
    expect(channel.messages).toHaveLength(2);
  });

  it("misuse is a TypeError at construction", () => {
    expect(() => createGuard({ failuresPerIdentifier: 101 })).toThrow(TypeError);
    expect(() => createGuard({ sendsPerIp: { max: 0, windowSeconds: 10 } })).toThrow(TypeError);
    expect(() => createGuard({ lockout: { baseSeconds: 100, maxSeconds: 50 } })).toThrow(TypeError);
    expect(() => createGuard({ counters: { kind: "redis" } as never })).toThrow(TypeError);
    expect(() => createGuard({ failuresPerIdentifierAndIp: 0 })).toThrow(TypeError);
  });
});
