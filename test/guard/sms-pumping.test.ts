import { describe, expect, it, vi } from "vitest";
import { createGuard, twilioSmsChannel, webhookChannel, type GuardOptions } from "../../src/index.js";
import { capturingChannel } from "../../src/testing/index.js";
import { harness, refusal, useFakeTime } from "../helpers/guard.js";

const OFF: GuardOptions = {
  sendsPerIdentifier: false,
  resendCooldownSeconds: 0,
  sendsPerIp: false,
  channelBudgets: { sms: false, voice: false },
  prefixVelocity: false,
};

function smsHarness(options: GuardOptions) {
  const sms = capturingChannel({ name: "sms", accepts: "phone" });
  const voice = capturingChannel({ name: "voice", accepts: "phone", medium: "voice" });
  const guard = createGuard({ ...OFF, ...options });
  return { ...harness({ channels: [sms, voice], guard }), sms, voice, guard };
}

describe("SMS pumping defences", () => {
  useFakeTime();

  it("country allow-list: numbers outside it are refused before any delivery", async () => {
    const { otp, sms, of } = smsHarness({ smsCountries: ["US", "FR"] });
    await otp.start({ identifier: "+14155552671", purpose: "login", channel: "sms" });
    await otp.start({ identifier: "+33612345678", purpose: "login", channel: "sms" });
    for (const number of ["+447400123456", "+4915123456789", "+80012345678"]) {
      const error = await refusal(otp.start({ identifier: number, purpose: "login", channel: "sms" }));
      expect([error.code, error.status]).toEqual(["INVALID_IDENTIFIER", 400]);
      expect(error.message).not.toContain(number);
    }
    expect(sms.messages.map((message) => message.to)).toEqual(["+14155552671", "+33612345678"]);
    expect(of("generated")).toHaveLength(2);
  });

  it("premium-rate, shared-cost, toll-free and landline numbers get no SMS; voice may call a landline", async () => {
    const { otp, sms, voice } = smsHarness({});
    for (const number of [
      "+449098790000",
      "+19002345678",
      "+33891234567",
      "+33810123456",
      "+34901123456",
      "+448001234567",
      "+442079460000",
    ]) {
      const error = await refusal(otp.start({ identifier: number, purpose: "login", channel: "sms" }));
      expect(error.code).toBe("INVALID_IDENTIFIER");
    }
    await otp.start({ identifier: "+442079460000", purpose: "login", channel: "voice" });
    expect((await refusal(otp.start({ identifier: "+449098790000", purpose: "login", channel: "voice" }))).code).toBe("INVALID_IDENTIFIER");
    expect(sms.messages).toHaveLength(0);
    expect(voice.messages).toHaveLength(1);
  });

  it("number types are configurable per channel", async () => {
    const { otp, sms } = smsHarness({ smsNumberTypes: { sms: ["MOBILE", "FIXED_LINE"] } });
    await otp.start({ identifier: "+442079460000", purpose: "login", channel: "sms" });
    expect(sms.messages).toHaveLength(1);
  });

  it("prefix velocity: many numbers in one block within the window block the prefix for a while", async () => {
    const { otp, sms, of } = smsHarness({
      sendsPerIdentifier: { max: 5, windowSeconds: 600 },
      prefixVelocity: { suffixDigits: 3, maxNumbers: 3, windowSeconds: 3600, blockSeconds: 600 },
    });
    const start = (number: string) => otp.start({ identifier: number, purpose: "login", channel: "sms" });
    for (const number of ["+447400123001", "+447400123002", "+447400123003"]) await start(number);
    // Sending again to a number already counted does not count it twice.
    await start("+447400123001");
    const error = await refusal(start("+447400123004"));
    expect([error.code, error.limit, error.retryAfterSeconds]).toEqual(["RATE_LIMITED", "prefix_velocity", 600]);
    expect(of("rate_limited").at(-1)).toMatchObject({ limit: "prefix_velocity" });
    // While blocked, every number under the prefix is refused, even one counted before.
    expect((await refusal(start("+447400123001"))).limit).toBe("prefix_velocity");
    await start("+447400124001");
    vi.advanceTimersByTime(600_000);
    await start("+447400123005");
    expect(sms.messages.map((message) => message.to)).toEqual([
      "+447400123001",
      "+447400123002",
      "+447400123003",
      "+447400123001",
      "+447400124001",
      "+447400123005",
    ]);
  });

  it("the default SMS channel budget is a ceiling across every number", async () => {
    const { otp } = smsHarness({ channelBudgets: { sms: { max: 2, windowSeconds: 3600 } } });
    await otp.start({ identifier: "+447400123456", purpose: "login", channel: "sms" });
    await otp.start({ identifier: "+33612345678", purpose: "login", channel: "sms" });
    expect((await refusal(otp.start({ identifier: "+14155552671", purpose: "login", channel: "sms" }))).limit).toBe("channel_budget");
  });

  it("warns when a channel can deliver to phone numbers without a country allow-list", () => {
    expect(createGuard().warnings(true)).toEqual([expect.stringContaining("smsCountries")]);
    expect(createGuard().warnings(false)).toEqual([]);
    expect(createGuard({ smsCountries: ["US"] }).warnings(true)).toEqual([]);
  });

  it("applies by what a channel does, not its name: a Twilio channel named sms-eu and a webhook carrying SMS", async () => {
    const twilio = twilioSmsChannel({
      name: "sms-eu",
      accountSid: "AC00000000000000000000000000000000",
      authToken: "token-token-token",
      from: "+15005550006",
      baseUrl: "http://127.0.0.1:9",
    });
    const webhook = webhookChannel({ name: "relay", url: "http://127.0.0.1:9/hook", secret: "s".repeat(32) });
    const { otp } = harness({ channels: [twilio, webhook], guard: { ...OFF, smsCountries: ["FR", "GB"] } });
    for (const channel of ["sms-eu", "relay"]) {
      // A premium-rate number in an allowed country, and a mobile number outside the list.
      for (const number of ["+33891234567", "+14155552671"]) {
        const error = await refusal(otp.start({ identifier: number, purpose: "login", channel }));
        expect([channel, number, error.code]).toEqual([channel, number, "INVALID_IDENTIFIER"]);
      }
    }
  });

  it("rejects bad SMS settings at construction", () => {
    expect(() => createGuard({ smsCountries: ["USA"] as never })).toThrow(TypeError);
    expect(() => createGuard({ prefixVelocity: { suffixDigits: 0 } })).toThrow(TypeError);
    expect(() => createGuard({ smsNumberTypes: { sms: ["CELL"] as never } })).toThrow(TypeError);
    expect(() => createGuard({ channelBudgets: { email: { max: -1, windowSeconds: 60 } } })).toThrow(TypeError);
  });
});
