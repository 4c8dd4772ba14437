import diagnostics_channel from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import { clearIdentifierOf } from "../../src/engine/event-bus.js";
import type { OtpEvent } from "../../src/index.js";
import { expectOtpError, testOtp, wrongCode } from "../helpers/otp.js";

describe("the identifier in clear beside an event", () => {
  it("is offered to an in-process subscriber that asks, and is in no event a listener or diagnostics channel sees", async () => {
    const { otp } = testOtp({ maxAttempts: 2 });
    const events: OtpEvent[] = [];
    const published: unknown[] = [];
    const channel = diagnostics_channel.channel("otp-actions:generated");
    const onMessage = (message: unknown) => published.push(message);
    channel.subscribe(onMessage);
    otp.on("*", (event) => {
      events.push(event);
    });
    try {
      const issued = await otp.generate({ identifier: "Clear.Person@Example.com", purpose: "login" });
      await expectOtpError(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login" }), "INVALID_OTP");
      await otp.verify({ code: issued.code, context: issued.context, purpose: "login" });
      await expectOtpError(otp.verify({ code: issued.code, context: "not-a-context", purpose: "login" }), "INVALID_CONTEXT");
    } finally {
      channel.unsubscribe(onMessage);
    }
    const withVerification = events.filter((event) => event.id !== undefined);
    expect(withVerification.map((event) => event.type)).toEqual([
      "generated",
      "validation_attempt",
      "failed",
      "validation_attempt",
      "succeeded",
    ]);
    for (const event of withVerification) expect(clearIdentifierOf(event)).toBe("clear.person@example.com");
    // A context that did not open names no one.
    expect(events.filter((event) => event.id === undefined).map(clearIdentifierOf)).toEqual([undefined]);
    expect(JSON.stringify([...events, ...published]).toLowerCase()).not.toContain("clear.person@example.com");
    expect(clearIdentifierOf({ ...events[0]!, type: "generated" })).toBeUndefined();
  });
});
