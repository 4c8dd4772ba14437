import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createOtp, ERRORS, OtpError } from "../../src/index.js";
import { fakeClock } from "../../src/testing/index.js";
import { expectOtpError, KEY_A, KEY_B, testOtp, wrongCode } from "../helpers/otp.js";

/**
 * A version-1 token as that encoder sealed it: `generate({ identifier: "user@example.com",
 * purpose: "login", metadata: { userId: 7 } })` at the fake clock's start, default policy.
 */
const VERSION_1 = {
  keys: "v1:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
  issuedAtMs: Date.UTC(2026, 0, 1),
  id: "5E-zHCeLX3bfVkibTKZasQ",
  code: "980684",
  context:
    "AQJ2MZzr9pgyPO5V72Vp_zgKASze8tL4GK645_-RPRMIkbSkhQeonhJN4N6CiSxxRnxmAprgcRKHIzLtFqGFPeMbZXmU7XLoNuZVVQNN53BcYdZaPZtZN6Tq3Cw5WgwWLildfvKL5qLIwLlby8tbBGhEPdiJbosxumDf",
};

describe("the context token", () => {
  it("fails every one of 10,000 byte flips and truncations with the same INVALID_CONTEXT", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login", metadata: { userId: 7 } });
    const raw = Buffer.from(context, "base64url");
    const messages = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      let mutated: string;
      if (i % 2 === 0) {
        const bytes = Buffer.from(raw);
        const at = randomInt(bytes.length);
        bytes[at] = bytes[at]! ^ (1 + randomInt(255));
        mutated = bytes.toString("base64url");
      } else if (i % 4 === 1) {
        mutated = context.slice(0, randomInt(context.length));
      } else {
        // A flipped character of the text itself, which may land on a non-canonical final character.
        const at = randomInt(context.length);
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let replacement = alphabet[randomInt(alphabet.length)]!;
        if (replacement === context[at]) replacement = replacement === "A" ? "B" : "A";
        mutated = context.slice(0, at) + replacement + context.slice(at + 1);
      }
      if (mutated === "") continue;
      try {
        await otp.verify({ code, context: mutated, purpose: "login" });
        throw new Error(`a mutated token verified (iteration ${i})`);
      } catch (error) {
        expect(error).toBeInstanceOf(OtpError);
        expect((error as OtpError).code).toBe("INVALID_CONTEXT");
        messages.add((error as OtpError).message);
      }
    }
    expect([...messages]).toEqual([ERRORS.INVALID_CONTEXT.message]);
    // The original still verifies: no mutation consumed it.
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 1 });
  });

  it("keeps verifying while an old key is listed after rotation, and fails once it is removed", async () => {
    const before = createOtp({ keys: KEY_A, guard: false });
    const issued = await before.generate({ identifier: "user@example.com", purpose: "login" });
    const second = await before.generate({ identifier: "user@example.com", purpose: "login" });

    // Rotation: the new key seals, the old one still opens. Same store, as in a deployment.
    const rotated = createOtp({ keys: `${KEY_B},${KEY_A}`, store: before.store });
    await expect(rotated.verify({ code: issued.code, context: issued.context, purpose: "login" })).resolves.toBeTruthy();
    const fresh = await rotated.generate({ identifier: "user@example.com", purpose: "login" });
    expect(Buffer.from(fresh.context, "base64url").toString("latin1", 2, 3)).toBe("b");

    const retired = createOtp({ keys: KEY_B, store: before.store });
    await expectOtpError(retired.verify({ code: second.code, context: second.context, purpose: "login" }), "INVALID_CONTEXT");
    await expect(retired.verify({ code: fresh.code, context: fresh.context, purpose: "login" })).resolves.toBeTruthy();
  });

  it("is at most 200 characters for an email identifier without metadata", async () => {
    const { otp } = testOtp();
    const { context } = await otp.generate({ identifier: "firstname.lastname@example.com", purpose: "password_reset" });
    expect(context.length).toBeLessThanOrEqual(200);
    expect(context).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("refuses a token whose sealed code TTL was altered", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login", codeTtlSeconds: 60 });
    const raw = Buffer.from(context, "base64url");
    // GCM keeps plaintext offsets: header, nonce, then id(16) ‖ codeMac(16) ‖ two expiries(6 + 6) ‖ code TTL.
    const ttlAt = 2 + raw[1]! + 12 + 16 + 16 + 6 + 6;
    raw[ttlAt] = raw[ttlAt]! ^ 0x01;
    await expectOtpError(otp.verify({ code, context: raw.toString("base64url"), purpose: "login" }), "INVALID_CONTEXT");
  });

  it("still opens a version-1 token (no code TTL), whose resend takes the policy's TTL", async () => {
    const clock = fakeClock(VERSION_1.issuedAtMs);
    const otp = createOtp({ keys: VERSION_1.keys, clock, codeTtlSeconds: 120 });
    await otp.store.open(VERSION_1.id, 900_000);
    const wrong = await expectOtpError(
      otp.verify({ code: wrongCode(VERSION_1.code), context: VERSION_1.context, purpose: "login" }),
      "INVALID_OTP",
    );
    expect(wrong.attemptsRemaining).toBe(2);
    const resent = await otp.regenerate({ context: VERSION_1.context });
    expect(resent.expiresAt.getTime() - clock.now()).toBe(120_000);
    expect(resent.sessionExpiresAt.getTime()).toBe(VERSION_1.issuedAtMs + 900_000);
    expect(Buffer.from(resent.context, "base64url")[0]).toBe(2);
    await expect(otp.verify({ code: resent.code, context: resent.context, purpose: "login" })).resolves.toMatchObject({
      metadata: { userId: 7 },
      attempts: 2,
    });
  });

  it("a token of another deployment (other key, same kid) does not open", async () => {
    const ours = createOtp({ keys: KEY_A });
    const theirs = createOtp({ keys: `a:${KEY_B.split(":")[1]}` });
    const { code, context } = await theirs.generate({ identifier: "user@example.com", purpose: "login" });
    await expectOtpError(ours.verify({ code, context, purpose: "login" }), "INVALID_CONTEXT");
  });
});
