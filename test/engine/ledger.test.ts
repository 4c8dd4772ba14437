import { describe, expect, it } from "vitest";
import { expectOtpError, testOtp, wrongCode } from "../helpers/otp.js";

describe("the ledger makes limits and single use real", () => {
  it("refuses the Django replay: the first context re-sent after maxAttempts wrong guesses", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    for (let i = 0; i < 3; i++) {
      // The client keeps re-sending the *first* context, as the attack does.
      await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    }
    await expectOtpError(otp.verify({ code, context, purpose: "login" }), "MAX_RETRIES_EXCEEDED");
  });

  it("counts attempts down on INVALID_OTP and hands back the context", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const first = await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    expect(first.attemptsRemaining).toBe(2);
    expect(first.context).toBe(context);
    expect(first.toBody()).toEqual({ error: first.message, error_code: "INVALID_OTP", attempts_remaining: 2, context });
    const second = await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    expect(second.attemptsRemaining).toBe(1);
    const verified = await otp.verify({ code, context, purpose: "login" });
    expect(verified.attempts).toBe(3);
  });

  it("is single use: the right code twice gives ALREADY_USED", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login", metadata: { userId: 7 } });
    const verified = await otp.verify({ code, context, purpose: "login" });
    expect(verified).toMatchObject({ identifier: "user@example.com", purpose: "login", metadata: { userId: 7 }, attempts: 1 });
    await expectOtpError(otp.verify({ code, context, purpose: "login" }), "ALREADY_USED");
  });

  it("evaluates at most maxAttempts of 1,000 parallel wrong guesses", async () => {
    const { otp } = testOtp();
    let evaluated = 0;
    otp.on("validation_attempt", () => {
      evaluated++;
    });
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, () => otp.verify({ code: wrongCode(code), context, purpose: "login" })),
    );
    const codes = results.map((result) => (result.status === "rejected" ? (result.reason as { code: string }).code : "approved"));
    expect(codes.filter((c) => c === "INVALID_OTP")).toHaveLength(3);
    expect(codes.filter((c) => c === "MAX_RETRIES_EXCEEDED")).toHaveLength(997);
    expect(evaluated).toBe(3);
    await expectOtpError(otp.verify({ code, context, purpose: "login" }), "MAX_RETRIES_EXCEEDED");
  });

  it("approves exactly one of 100 parallel right guesses", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => otp.verify({ code, context, purpose: "login" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refusals = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: string }).code] : []));
    expect(new Set(refusals)).toEqual(new Set(["ALREADY_USED"]));
  });

  it("revoke cancels a pending verification and is idempotent", async () => {
    const { otp } = testOtp();
    const revoked: string[] = [];
    otp.on("revoked", (event) => {
      revoked.push(event.id!);
    });
    const { code, context, id } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(await otp.revoke(context)).toEqual({ id, status: "canceled" });
    expect(await otp.revoke(context)).toEqual({ id, status: "canceled" });
    expect(revoked).toEqual([id]);
    await expectOtpError(otp.verify({ code, context, purpose: "login" }), "CANCELED");
  });

  it("revoke of a used verification is ALREADY_USED", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await otp.verify({ code, context, purpose: "login" });
    await expectOtpError(otp.revoke(context), "ALREADY_USED");
  });
});
