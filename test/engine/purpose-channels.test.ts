import { describe, expect, it } from "vitest";
import type { OtpEvent } from "../../src/index.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { capturingChannel } from "../../src/testing/index.js";
import { expectOtpError, testOtp } from "../helpers/otp.js";

function channels() {
  return { email: capturingChannel({ name: "email", accepts: "email" }), sms: capturingChannel({ name: "sms", accepts: "phone" }) };
}

describe("a purpose's channels", () => {
  it("refuses a start through a channel its purpose does not list, before anything is issued", async () => {
    const { email, sms } = channels();
    const store = new MemoryStore();
    const { otp } = testOtp({ store, channels: [email, sms], purposes: { payment: { channels: ["sms"] } } });
    const events: OtpEvent[] = [];
    otp.on("*", (event) => {
      events.push(event);
    });

    // By the default channel for an address, and by naming it.
    await expectOtpError(otp.start({ identifier: "ada@example.com", purpose: "payment" }), "INVALID_REQUEST");
    await expectOtpError(otp.start({ identifier: "ada@example.com", purpose: "payment", channel: "email" }), "INVALID_REQUEST");
    expect(store.size).toBe(0);
    expect(events.map((event) => event.type)).not.toContain("generated");
    expect(email.messages).toEqual([]);

    // The listed channel delivers, and other purposes keep every channel.
    expect(await otp.start({ identifier: "+14155550123", purpose: "payment" })).toMatchObject({ channel: "sms" });
    expect(await otp.start({ identifier: "ada@example.com", purpose: "login" })).toMatchObject({ channel: "email" });
    expect(sms.messages.map((message) => message.to)).toEqual(["+14155550123"]);
    expect(email.messages.map((message) => message.purpose)).toEqual(["login"]);
    expect(store.size).toBe(2);
  });

  it("costs the guard nothing when it refuses", async () => {
    const { email, sms } = channels();
    const { otp } = testOtp({
      channels: [email, sms],
      purposes: { payment: { channels: ["sms"] } },
      guard: { sendsPerIp: { max: 1, windowSeconds: 600 } },
    });
    const client = { ip: "203.0.113.7" };
    await expectOtpError(otp.start({ identifier: "ada@example.com", purpose: "payment", client }), "INVALID_REQUEST");
    // The one send this IP may make is still there.
    await otp.start({ identifier: "+14155550123", purpose: "payment", client });
    await expectOtpError(otp.start({ identifier: "+14155550124", purpose: "payment", client }), "RATE_LIMITED");
  });

  it("takes the engine-wide allowedChannels unless the purpose lists its own; generate is not restricted", async () => {
    const { email, sms } = channels();
    const { otp } = testOtp({ channels: [email, sms], allowedChannels: ["email"], purposes: { payment: { channels: ["sms"] } } });
    await expectOtpError(otp.start({ identifier: "+14155550123", purpose: "login" }), "INVALID_REQUEST");
    await otp.start({ identifier: "ada@example.com", purpose: "login" });
    await otp.start({ identifier: "+14155550123", purpose: "payment" });
    expect(await otp.generate({ identifier: "ada@example.com", purpose: "payment" })).toMatchObject({ channel: "email" });
  });

  it("refuses a resend through a channel the purpose no longer lists, leaving the session as it was", async () => {
    const { email } = channels();
    const store = new MemoryStore();
    const before = testOtp({ store, channels: [email] }).otp;
    const issued = await before.start({ identifier: "ada@example.com", purpose: "payment" });
    const sms = capturingChannel({ name: "sms", accepts: "phone" });
    const { otp } = testOtp({ store, channels: [email, sms], purposes: { payment: { channels: ["sms"] } } });
    await expectOtpError(otp.resend({ context: issued.context }), "INVALID_REQUEST");
    expect(email.messages).toHaveLength(1);
    expect(await store.revoke(issued.id)).toMatchObject({ previous: "pending" });
  });

  it("is a TypeError at createOtp when a list names a channel the engine does not have", () => {
    const { email, sms } = channels();
    expect(() => testOtp({ channels: [email, sms], purposes: { payment: { channels: ["sms", "whatsapp"] } } })).toThrow(TypeError);
    expect(() => testOtp({ channels: [email], allowedChannels: ["sms"] })).toThrow(TypeError);
    expect(() => testOtp({ channels: [email], purposes: { payment: { channels: [] } } })).toThrow(TypeError);
    expect(() => testOtp({ channels: [email], purposes: { payment: { channels: "email" as unknown as string[] } } })).toThrow(TypeError);
  });
});

describe("a purpose's locale", () => {
  it("is the message's locale when the start or resend gives none; an explicit one wins", async () => {
    const { email } = channels();
    const { otp } = testOtp({ channels: [email], locale: "en", purposes: { payment: { locale: "fr" } } });
    const issued = await otp.start({ identifier: "ada@example.com", purpose: "payment" });
    await otp.start({ identifier: "ada@example.com", purpose: "payment", locale: "de" });
    await otp.start({ identifier: "ada@example.com", purpose: "login" });
    await otp.resend({ context: issued.context });
    await otp.resend({ context: (await otp.start({ identifier: "bob@example.com", purpose: "payment" })).context, locale: "pt-BR" });
    expect(email.messages.map((message) => message.locale)).toEqual(["fr", "de", "en", "fr", "fr", "pt-BR"]);
  });

  it("is a TypeError at createOtp when it is not a language tag", () => {
    expect(() => testOtp({ purposes: { payment: { locale: "not a tag" } } })).toThrow(TypeError);
    expect(() => testOtp({ locale: "" })).toThrow(TypeError);
  });
});
