import { describe, expect, it } from "vitest";
import { MAX_CONTEXT_CHARS, OtpError } from "../../src/index.js";
import { expectOtpError, testOtp } from "../helpers/otp.js";

describe("limits and malformed input come before crypto", () => {
  it("refuses a context over 10 KB and metadata over 5 KB with PAYLOAD_TOO_LARGE", async () => {
    const { otp } = testOtp();
    await expectOtpError(otp.verify({ code: "123456", context: "A".repeat(MAX_CONTEXT_CHARS + 1), purpose: "login" }), "PAYLOAD_TOO_LARGE");
    await expectOtpError(
      otp.generate({ identifier: "user@example.com", purpose: "login", metadata: { blob: "x".repeat(5 * 1024) } }),
      "PAYLOAD_TOO_LARGE",
    );
    // Just under the limit is fine and round-trips.
    const metadata = { blob: "x".repeat(5 * 1024 - 20) };
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login", metadata });
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ metadata });
  });

  it("answers every malformed code with a typed error and never uses an attempt", async () => {
    const { otp } = testOtp({ maxAttempts: 1 });
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const cases: Array<[unknown, string]> = [
      [123456, "MISSING_FIELDS"],
      [Number(code), "MISSING_FIELDS"],
      [[code], "MISSING_FIELDS"],
      [{ code }, "MISSING_FIELDS"],
      [null, "MISSING_FIELDS"],
      [undefined, "MISSING_FIELDS"],
      ["", "MISSING_FIELDS"],
      [code.slice(1), "INVALID_CODE_FORMAT"],
      [`${code}0`, "INVALID_CODE_FORMAT"],
      ["1".repeat(10_000), "INVALID_CODE_FORMAT"],
      ["١٢٣٤٥٦", "INVALID_CODE_FORMAT"], // Arabic-Indic digits
      ["１２３４５６", "INVALID_CODE_FORMAT"], // full-width digits
      ["12345a", "INVALID_CODE_FORMAT"],
      [" 123456", "INVALID_CODE_FORMAT"],
      ["12 3456", "INVALID_CODE_FORMAT"],
    ];
    for (const [bad, expected] of cases) {
      const error = await otp.verify({ code: bad, context, purpose: "login" }).catch((e: unknown) => e);
      expect(error, `code ${JSON.stringify(bad)}`).toBeInstanceOf(OtpError);
      expect((error as OtpError).code, `code ${JSON.stringify(bad)}`).toBe(expected);
    }
    for (const bad of [42, [], {}, null, undefined]) {
      await expectOtpError(otp.verify({ code, context: bad, purpose: "login" }), "MISSING_FIELDS");
    }
    await expectOtpError(otp.verify(undefined as never), "MISSING_FIELDS");
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 1 });
  });

  it("refuses bad identifiers, purposes and metadata before anything is generated", async () => {
    const { otp } = testOtp();
    let generated = 0;
    otp.on("generated", () => {
      generated++;
    });
    for (const identifier of ["", "nope", "a@b", "user@@example.com", "+1 415", "12", 42, null, "x".repeat(400)]) {
      await expectOtpError(otp.generate({ identifier: identifier as string, purpose: "login" }), "INVALID_IDENTIFIER");
    }
    for (const purpose of ["", "has space", "x".repeat(65), 7, null]) {
      await expectOtpError(otp.generate({ identifier: "user@example.com", purpose: purpose as string }), "INVALID_REQUEST");
    }
    for (const metadata of [[1], "text", 5]) {
      await expectOtpError(
        otp.generate({ identifier: "user@example.com", purpose: "login", metadata: metadata as never }),
        "INVALID_REQUEST",
      );
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectOtpError(otp.generate({ identifier: "user@example.com", purpose: "login", metadata: cyclic }), "INVALID_REQUEST");
    await expectOtpError(otp.generate({ identifier: "user@example.com", purpose: "login", channel: "sms" }), "INVALID_IDENTIFIER");
    expect(generated).toBe(0);
  });
});
