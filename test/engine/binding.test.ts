import { describe, expect, it } from "vitest";
import { expectOtpError, testOtp } from "../helpers/otp.js";

const PURPOSES = ["login", "password_reset", "change_email"] as const;

describe("a code is bound to its purpose and identifier", () => {
  it("succeeds only on the diagonal of the purpose matrix", async () => {
    const { otp } = testOtp();
    for (const issued of PURPOSES) {
      for (const checked of PURPOSES) {
        const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: issued });
        if (issued === checked) {
          await expect(otp.verify({ code, context, purpose: checked })).resolves.toMatchObject({ purpose: issued });
        } else {
          await expectOtpError(otp.verify({ code, context, purpose: checked }), "CONTEXT_MISMATCH");
        }
      }
    }
  });

  it("a mismatch does not use an attempt", async () => {
    const { otp } = testOtp({ maxAttempts: 1 });
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expectOtpError(otp.verify({ code, context, purpose: "password_reset" }), "CONTEXT_MISMATCH");
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 1 });
  });

  it("checks a named identifier after normalisation", async () => {
    const { otp } = testOtp();
    const email = await otp.generate({ identifier: "User@Example.com", purpose: "login" });
    await expectOtpError(
      otp.verify({ code: email.code, context: email.context, purpose: "login", identifier: "other@example.com" }),
      "CONTEXT_MISMATCH",
    );
    await expectOtpError(
      otp.verify({ code: email.code, context: email.context, purpose: "login", identifier: "not an email" }),
      "CONTEXT_MISMATCH",
    );
    await expect(
      otp.verify({ code: email.code, context: email.context, purpose: "login", identifier: "  USER@example.COM " }),
    ).resolves.toMatchObject({
      identifier: "user@example.com",
    });

    const phone = await otp.generate({ identifier: "+1 (415) 555-0123", purpose: "login" });
    expect(phone.identifier).toBe("+14155550123");
    await expect(
      otp.verify({ code: phone.code, context: phone.context, purpose: "login", identifier: "+14155550123" }),
    ).resolves.toMatchObject({
      identifier: "+14155550123",
    });
  });

  it("purpose null accepts any purpose, explicitly", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "payment" });
    await expect(otp.verify({ code, context, purpose: null })).resolves.toMatchObject({ purpose: "payment" });
  });

  it("a missing purpose is a programming error", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expect(otp.verify({ code, context } as never)).rejects.toBeInstanceOf(TypeError);
  });
});
