import { describe, expect, it } from "vitest";
import { expectOtpError, testOtp } from "../helpers/otp.js";

describe("code and session windows", () => {
  it("accepts a code until its window ends and refuses it from then on", async () => {
    const { otp, clock } = testOtp();
    const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const second = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(first.expiresAt.getTime() - clock.now()).toBe(300_000);
    expect(first.sessionExpiresAt.getTime() - clock.now()).toBe(900_000);
    clock.advance(299_999);
    await expect(otp.verify({ code: first.code, context: first.context, purpose: "login" })).resolves.toBeTruthy();
    clock.advance(1);
    await expectOtpError(otp.verify({ code: second.code, context: second.context, purpose: "login" }), "OTP_EXPIRED");
  });

  it("refuses with SESSION_EXPIRED from the end of the session window", async () => {
    const { otp, clock } = testOtp({ codeTtlSeconds: 60, sessionTtlSeconds: 120 });
    const issued = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    clock.advance(119_999);
    await expectOtpError(otp.verify({ code: issued.code, context: issued.context, purpose: "login" }), "OTP_EXPIRED");
    // Within the session a resend gives a working code.
    const again = await otp.regenerate({ context: issued.context });
    expect(again.sessionExpiresAt.getTime()).toBe(issued.sessionExpiresAt.getTime());
    expect(again.expiresAt.getTime()).toBe(issued.sessionExpiresAt.getTime());
    clock.advance(1);
    await expectOtpError(otp.verify({ code: again.code, context: again.context, purpose: "login" }), "SESSION_EXPIRED");
    await expectOtpError(otp.regenerate({ context: again.context }), "SESSION_EXPIRED");
  });

  it("honours per-call and per-purpose windows", async () => {
    const { otp, clock } = testOtp({ purposes: { payment: { codeTtlSeconds: 30, maxAttempts: 1 } } });
    const payment = await otp.generate({ identifier: "user@example.com", purpose: "payment" });
    expect(payment.expiresAt.getTime() - clock.now()).toBe(30_000);
    const custom = await otp.generate({ identifier: "user@example.com", purpose: "login", codeTtlSeconds: 10, codeLength: 8 });
    expect(custom.code).toMatch(/^[0-9]{8}$/);
    clock.advance(10_000);
    await expectOtpError(otp.verify({ code: custom.code, context: custom.context, purpose: "login" }), "OTP_EXPIRED");
  });
});
