import { describe, expect, it, vi } from "vitest";
import { clientIpFrom, createGuard, type GuardOptions, type Otp } from "../../src/index.js";
import { email, harness, input, refusal, wrongCode, useFakeTime } from "../helpers/guard.js";

// Sends unlimited, so each test exercises the check-side limits only.
const SENDS_OFF: GuardOptions = {
  sendsPerIdentifier: false,
  resendCooldownSeconds: 0,
  sendsPerIp: false,
  channelBudgets: { email: false },
  prefixVelocity: false,
};

/** Guesses wrong on one fresh code until the code or the guard refuses; returns the refusal. */
async function exhaust(otp: Otp, context: string, code: string): Promise<string> {
  for (;;) {
    const error = await refusal(otp.verify({ code: wrongCode(code), context, purpose: "login" }));
    if (error.code !== "INVALID_OTP") return error.code;
    if (error.attemptsRemaining === 0) return "EXHAUSTED";
  }
}

describe("failure budget and lockout (memory backend, fake time)", () => {
  useFakeTime();

  it("the fresh-code attack: new codes and resends never buy more than the failure budget", async () => {
    const { otp, of } = harness({
      maxAttempts: 5,
      maxSendsPerSession: 255,
      guard: createGuard({ ...SENDS_OFF, failuresPerIdentifierAndIp: 10, failuresPerIdentifier: 10, failuresPerIp: false }),
    });
    const guessWrong = async (context: string, code: string): Promise<string> => {
      const error = await refusal(otp.verify({ code: wrongCode(code), context, purpose: "login" }));
      return error.code;
    };
    let outcome = "";
    let guesses = 0;
    // Loop { new code; two wrong guesses; resend; two wrong guesses } until the guard says no,
    // to a guess or to a new code.
    for (let round = 0; round < 50 && outcome !== "RATE_LIMITED"; round++) {
      try {
        let issued: { context: string; code: string } = await otp.generate(input(email(1)));
        for (let leg = 0; leg < 2 && outcome !== "RATE_LIMITED"; leg++) {
          for (let i = 0; i < 2 && outcome !== "RATE_LIMITED"; i++, guesses++) outcome = await guessWrong(issued.context, issued.code);
          if (leg === 0 && outcome !== "RATE_LIMITED") issued = await otp.regenerate({ context: issued.context });
        }
      } catch (error) {
        outcome = (error as { code: string }).code;
      }
    }
    expect(outcome).toBe("RATE_LIMITED");
    expect(of("validation_attempt")).toHaveLength(10);
    expect(guesses).toBe(10);
    expect(of("locked_out")).toEqual([expect.objectContaining({ limit: "failures_per_identifier", retryAfterSeconds: 900 })]);
    expect(of("rate_limited")).toEqual([expect.objectContaining({ limit: "failures_per_identifier", retryAfterSeconds: 900 })]);
    // Locked: no new code is sent, and a fresh one could not be checked anyway.
    const issuedError = await refusal(otp.generate(input(email(1))));
    expect([issuedError.code, issuedError.limit]).toEqual(["RATE_LIMITED", "failures_per_identifier"]);
  });

  it("replays of a spent context cost the caller's IP, never the identifier", async () => {
    const { otp, of } = harness({
      guard: createGuard({
        ...SENDS_OFF,
        failuresPerIdentifierAndIp: 4,
        failuresPerIdentifier: 4,
        failuresPerIp: { max: 6, windowSeconds: 3600 },
      }),
    });
    const issued = await otp.generate(input(email(1)));
    const client = { ip: "203.0.113.8" };
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const error = await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client }));
      codes.push(error.limit ?? error.code);
    }
    expect(codes).toEqual([
      "INVALID_OTP",
      "INVALID_OTP",
      "INVALID_OTP",
      "MAX_RETRIES_EXCEEDED",
      "MAX_RETRIES_EXCEEDED",
      "MAX_RETRIES_EXCEEDED",
      "failures_per_ip",
      "failures_per_ip",
    ]);
    expect(of("validation_attempt")).toHaveLength(3);
    // Expired, mismatched and forged contexts cost the IP too; the identifier kept 3 of its 4 points.
    const other = { ip: "203.0.113.9" };
    const fresh = await otp.generate(input(email(1)));
    await refusal(otp.verify({ code: fresh.code, context: fresh.context, purpose: "password_reset", client: other }));
    await refusal(otp.verify({ code: fresh.code, context: `${fresh.context.slice(0, -2)}AA`, purpose: "login", client: other }));
    expect(of("locked_out")).toHaveLength(0);
    await expect(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login", client: other })).resolves.toBeTruthy();
  });

  it("parallel wrong guesses over many codes evaluate at most the failure budget", async () => {
    const { otp, of } = harness({
      guard: createGuard({ ...SENDS_OFF, failuresPerIdentifierAndIp: 10, failuresPerIdentifier: 10, failuresPerIp: false }),
    });
    const issued = await Promise.all(Array.from({ length: 20 }, () => otp.generate(input(email(1)))));
    const guesses = issued.flatMap((item) =>
      Array.from({ length: 3 }, () => otp.verify({ code: wrongCode(item.code), context: item.context, purpose: "login" })),
    );
    const results = await Promise.allSettled(guesses);
    const codes = results.map((result) => (result.status === "rejected" ? (result.reason as { code: string }).code : "OK"));
    expect(codes.filter((code) => code === "INVALID_OTP")).toHaveLength(10);
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(50);
    expect(of("validation_attempt")).toHaveLength(10);
  });

  it("a lockout is scoped to the identifier + purpose, expires, and the user gets in after it", async () => {
    const { otp } = harness({
      guard: createGuard({ ...SENDS_OFF, failuresPerIdentifier: 3, failuresPerIp: false, lockout: { baseSeconds: 60 } }),
    });
    const first = await otp.generate(input(email(1)));
    expect(await exhaust(otp, first.context, first.code)).toBe("EXHAUSTED");
    const second = await otp.generate(input(email(1), { purpose: "password_reset" }));
    await otp.verify({ code: second.code, context: second.context, purpose: "password_reset" });
    const other = await otp.generate(input(email(2)));
    await otp.verify({ code: other.code, context: other.context, purpose: "login" });

    vi.advanceTimersByTime(59_000);
    const during = await refusal(otp.generate(input(email(1))));
    expect([during.limit, during.retryAfterSeconds]).toEqual(["failures_per_identifier", 1]);
    vi.advanceTimersByTime(1_000);
    const after = await otp.generate(input(email(1)));
    await expect(otp.verify({ code: after.code, context: after.context, purpose: "login" })).resolves.toMatchObject({
      identifier: email(1),
    });
  });

  it("each further lockout is longer, up to the cap; the level window forgets them", async () => {
    const { otp, of } = harness({
      guard: createGuard({
        ...SENDS_OFF,
        failuresPerIdentifier: 3,
        failuresPerIp: false,
        lockout: { baseSeconds: 60, maxSeconds: 200, levelWindowSeconds: 3600 },
      }),
    });
    const lengths: number[] = [];
    for (let round = 0; round < 4; round++) {
      const issued = await otp.generate(input(email(1)));
      // The first lockout takes the whole budget; after it the count stands (no success came), so
      // each further failure locks again, for longer.
      expect(await exhaust(otp, issued.context, issued.code)).toBe(round === 0 ? "EXHAUSTED" : "RATE_LIMITED");
      const notice = of("locked_out").at(-1)!;
      lengths.push(notice.retryAfterSeconds!);
      const check = await otp.generate(input(email(2)));
      expect(check).toBeTruthy();
      const refused = await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login" }));
      expect([refused.code, refused.retryAfterSeconds]).toEqual(["RATE_LIMITED", notice.retryAfterSeconds]);
      vi.advanceTimersByTime(notice.retryAfterSeconds! * 1000);
    }
    expect(lengths).toEqual([60, 120, 200, 200]);
    vi.advanceTimersByTime(3600_000);
    const issued = await otp.generate(input(email(1)));
    await exhaust(otp, issued.context, issued.code);
    expect(of("locked_out").at(-1)!.retryAfterSeconds).toBe(60);
  });

  it("a success resets the consecutive failures", async () => {
    const { otp, of } = harness({ guard: createGuard({ ...SENDS_OFF, failuresPerIdentifier: 3, failuresPerIp: false }) });
    for (let round = 0; round < 5; round++) {
      const issued = await otp.generate(input(email(1)));
      for (let i = 0; i < 2; i++) await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login" }));
      await otp.verify({ code: issued.code, context: issued.context, purpose: "login" });
    }
    expect(of("locked_out")).toHaveLength(0);
    // The last point of the budget starts a lockout; the same check succeeding lifts it.
    const issued = await otp.generate(input(email(1)));
    await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login" }));
    await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login" }));
    const next = await otp.generate(input(email(1)));
    await otp.verify({ code: next.code, context: next.context, purpose: "login" });
    const after = await otp.generate(input(email(1)));
    await otp.verify({ code: after.code, context: after.context, purpose: "login" });
  });

  it("consecutive failures are bounded by 100 (NIST) whatever the settings", () => {
    expect(() => createGuard({ failuresPerIdentifier: 100 })).not.toThrow();
    expect(() => createGuard({ failuresPerIdentifier: 101 })).toThrow(TypeError);
    expect(() => createGuard({ purposes: { login: { failuresPerIdentifier: 1000 } } })).toThrow(TypeError);
  });

  it("refuses a misspelt limit instead of leaving its default in force", () => {
    for (const options of [
      { failuresPerIdentifer: 1 },
      { purposes: { payment: { failuresPerIdentifer: 1 } } },
      { lockout: { baseSecond: 60 } },
      { purposes: { payment: { lockout: { maxSecond: 60 } } } },
    ]) {
      expect(() => createGuard(options as never), JSON.stringify(options)).toThrow(/has no option/);
    }
  });

  it("spray: one IP, 500 identifiers, one guess each is refused after the per-IP budget, whatever X-Forwarded-For says", async () => {
    const { otp } = harness({
      guard: createGuard({ ...SENDS_OFF, failuresPerIdentifier: 1, failuresPerIp: { max: 20, windowSeconds: 3600 } }),
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 500; i++) {
      const issued = await otp.generate(input(email(i)));
      // No trusted proxy: the rotating header is ignored, the socket address counts.
      const ip = clientIpFrom({ remoteAddress: "203.0.113.9", forwardedFor: `10.${i % 256}.${i >> 8}.1`, trustProxy: false });
      const error = await refusal(
        otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: { ip: ip! } }),
      );
      outcomes.push(error.code === "RATE_LIMITED" ? `${error.code}:${error.limit}` : error.code);
      if (i === 20) expect([error.status, error.retryAfterSeconds]).toEqual([429, 3600]);
    }
    expect(outcomes.slice(0, 20).every((code) => code === "INVALID_OTP")).toBe(true);
    expect(outcomes.slice(20).every((code) => code === "RATE_LIMITED:failures_per_ip")).toBe(true);
    // The identifiers themselves were not charged for the refused guesses: their owners get in.
    const owner = await otp.generate(input(email(400)));
    await expect(
      otp.verify({ code: owner.code, context: owner.context, purpose: "login", client: { ip: "192.0.2.1" } }),
    ).resolves.toBeTruthy();
  });

  it("a success gives the IP its reserved failure back", async () => {
    const { otp } = harness({ guard: createGuard({ ...SENDS_OFF, failuresPerIp: { max: 2, windowSeconds: 3600 } }) });
    const client = { ip: "198.51.100.1" };
    for (let i = 0; i < 10; i++) {
      const issued = await otp.generate(input(email(i)));
      await otp.verify({ code: issued.code, context: issued.context, purpose: "login", client });
    }
    const issued = await otp.generate(input(email(50)));
    await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client }));
    await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client }));
    const third = await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client }));
    expect([third.code, third.limit]).toEqual(["RATE_LIMITED", "failures_per_ip"]);
  });
});
