import { describe, expect, it } from "vitest";
import { DeliveryError, type Channel, type OtpEvent } from "../../src/index.js";
import { capturingChannel } from "../../src/testing/index.js";
import { expectOtpError, testOtp } from "../helpers/otp.js";

const fastRetries = { timeoutMs: 50, retries: 2, retryDelayMs: 1 };

describe("delivery", () => {
  it("routes by identifier kind and never returns the code", async () => {
    const email = capturingChannel({ name: "email", accepts: "email" });
    const sms = capturingChannel({ name: "sms", accepts: "phone" });
    const { otp } = testOtp({ channels: [email, sms] });
    const byEmail = await otp.start({ identifier: "user@example.com", purpose: "login", locale: "fr" });
    const bySms = await otp.start({ identifier: "+14155550123", purpose: "login" });
    expect(byEmail).toMatchObject({ channel: "email" });
    expect(bySms).toMatchObject({ channel: "sms" });
    expect(JSON.stringify([byEmail, bySms])).not.toMatch(/"code"/);
    expect(email.messages).toMatchObject([{ to: "user@example.com", purpose: "login", locale: "fr" }]);
    expect(sms.messages).toMatchObject([{ to: "+14155550123" }]);
    await expectOtpError(otp.start({ identifier: "user@example.com", purpose: "login", channel: "webhook" }), "INVALID_REQUEST");
  });

  it("never hands an address to a default channel of the other kind", async () => {
    const email = capturingChannel({ name: "email", accepts: "email" });
    const sms = capturingChannel({ name: "sms", accepts: "phone" });
    const { otp } = testOtp({ channels: [sms, email], defaultChannel: "sms" });
    expect(await otp.start({ identifier: "+14155550123", purpose: "login" })).toMatchObject({ channel: "sms" });
    expect(await otp.start({ identifier: "ada@example.com", purpose: "login" })).toMatchObject({ channel: "email" });
    expect(sms.messages.map((message) => message.to)).toEqual(["+14155550123"]);
    // With no channel for email addresses, nothing is issued and nothing is sent.
    const smsOnly = capturingChannel({ name: "sms", accepts: "phone" });
    const { otp: phoneOnly } = testOtp({ channels: [smsOnly], defaultChannel: "sms" });
    await expectOtpError(phoneOnly.start({ identifier: "ada@example.com", purpose: "login" }), "INVALID_REQUEST");
    expect(smsOnly.messages).toEqual([]);
  });

  it("retries a failing channel, then succeeds", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = testOtp({ channels: [channel], delivery: fastRetries });
    channel.failNext(2);
    const issued = await otp.start({ identifier: "user@example.com", purpose: "login" });
    const code = channel.lastCodeFor("user@example.com")!;
    await expect(otp.verify({ code, context: issued.context, purpose: "login" })).resolves.toBeTruthy();
  });

  it("after its retries, answers DELIVERY_FAILED and leaves nothing pending", async () => {
    const attempts: number[] = [];
    const broken: Channel = {
      name: "email",
      accepts: "email",
      async deliver() {
        attempts.push(Date.now());
        throw new Error("smtp down");
      },
    };
    const { otp } = testOtp({ channels: [broken], delivery: fastRetries });
    const events: OtpEvent[] = [];
    otp.on("*", (event) => {
      events.push(event);
    });
    await expectOtpError(otp.start({ identifier: "user@example.com", purpose: "login" }), "DELIVERY_FAILED");
    expect(attempts).toHaveLength(3);
    expect(events.map((e) => e.type)).toEqual(["generated", "delivery_failed"]);
    const id = events[0]!.id!;
    expect(await otp.store.revoke(id)).toMatchObject({ previous: "revoked" });
  });

  it("stops at once on a permanent failure and times out a hanging channel", async () => {
    let calls = 0;
    const permanent: Channel = {
      name: "email",
      accepts: "email",
      async deliver() {
        calls++;
        throw new DeliveryError("recipient rejected", { retryable: false });
      },
    };
    const hanging: Channel = { name: "sms", accepts: "phone", deliver: () => new Promise(() => {}) };
    const { otp } = testOtp({ channels: [permanent, hanging], delivery: fastRetries });
    await expectOtpError(otp.start({ identifier: "user@example.com", purpose: "login" }), "DELIVERY_FAILED");
    expect(calls).toBe(1);
    const started = Date.now();
    await expectOtpError(otp.start({ identifier: "+14155550123", purpose: "login" }), "DELIVERY_FAILED");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("asynchronous delivery answers first; a later failure revokes the verification", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Channel = {
      name: "email",
      accepts: "email",
      async deliver() {
        await gate;
        throw new DeliveryError("rejected", { retryable: false });
      },
    };
    const { otp } = testOtp({ channels: [slow], purposes: { login: { asyncDelivery: true } } });
    const failed = new Promise<OtpEvent>((resolve) => otp.on("delivery_failed", resolve));
    const issued = await otp.start({ identifier: "user@example.com", purpose: "login" });
    expect(issued.context).toBeTruthy();
    release();
    await failed;
    await otp.close();
    expect(await otp.store.revoke(issued.id)).toMatchObject({ previous: "revoked" });
  });

  it("shouldSend false: same shape, nothing delivered, the context never verifies", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = testOtp({ channels: [channel], shouldSend: ({ identifier }) => identifier !== "gone@example.com" });
    const real = await otp.start({ identifier: "user@example.com", purpose: "login" });
    const ghost = await otp.start({ identifier: "gone@example.com", purpose: "login" });
    expect(Object.keys(ghost).sort()).toEqual(Object.keys(real).sort());
    expect(ghost.context.length).toBe(real.context.length);
    expect(channel.messages.map((m) => m.to)).toEqual(["user@example.com"]);
    // Every code fails like a wrong guess; the budget runs out as for a real one.
    for (const code of ["000000", "123456"]) {
      const error = await expectOtpError(otp.verify({ code, context: ghost.context, purpose: "login" }), "INVALID_OTP");
      expect(Object.keys(error.toBody()).sort()).toEqual(["attempts_remaining", "context", "error", "error_code"]);
    }
  });

  it("shouldSend: a real account whose delivery fails answers as a decoy does, now and on every check", async () => {
    for (const asyncDelivery of [false, true]) {
      const refusing: Channel = {
        name: "sms",
        accepts: "phone",
        async deliver() {
          throw new DeliveryError("number opted out", { retryable: false });
        },
      };
      const { otp } = testOtp({
        channels: [refusing],
        shouldSend: ({ identifier }) => identifier !== "+14155550199",
        purposes: { login: { asyncDelivery } },
      });
      const failed: string[] = [];
      otp.on("delivery_failed", (event) => void failed.push(event.id!));
      const real = await otp.start({ identifier: "+14155550123", purpose: "login" });
      const decoy = await otp.start({ identifier: "+14155550199", purpose: "login" });
      await otp.close();
      expect(failed).toEqual([real.id]); // the operator still hears of it
      for (const issued of [real, decoy]) {
        await expectOtpError(otp.verify({ code: "000000", context: issued.context, purpose: "login" }), "INVALID_OTP");
      }
    }
  });
});
