import diagnostics_channel from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import type { OtpEvent } from "../../src/index.js";
import { expectOtpError, testOtp, wrongCode } from "../helpers/otp.js";

describe("events", () => {
  it("emits the lifecycle with ids, masked identifiers, attempts and times", async () => {
    const { otp, clock } = testOtp({ maxAttempts: 2 });
    const events: OtpEvent[] = [];
    otp.on("*", (event) => {
      events.push(event);
    });
    const a = await otp.generate({ identifier: "+14155550123", purpose: "login" });
    await expectOtpError(otp.verify({ code: wrongCode(a.code), context: a.context, purpose: "login" }), "INVALID_OTP");
    await otp.verify({ code: a.code, context: a.context, purpose: "login" });
    const b = await otp.generate({ identifier: "+14155550123", purpose: "login" });
    await expectOtpError(otp.verify({ code: wrongCode(b.code), context: b.context, purpose: "login" }), "INVALID_OTP");
    await expectOtpError(otp.verify({ code: wrongCode(b.code), context: b.context, purpose: "login" }), "INVALID_OTP");
    const c = await otp.generate({ identifier: "+14155550123", purpose: "login" });
    await otp.revoke(c.context);

    expect(events.map((e) => [e.type, e.reason ?? null, e.attempts ?? null])).toEqual([
      ["generated", null, 0],
      ["validation_attempt", null, 1],
      ["failed", "INVALID_OTP", 1],
      ["validation_attempt", null, 2],
      ["succeeded", null, 2],
      ["generated", null, 0],
      ["validation_attempt", null, 1],
      ["failed", "INVALID_OTP", 1],
      ["validation_attempt", null, 2],
      ["failed", "INVALID_OTP", 2],
      ["exhausted", null, 2],
      ["generated", null, 0],
      ["revoked", null, 0],
    ]);
    for (const event of events) {
      expect(event.identifier).toBe("+1415*****23");
      expect(event.identifierHash).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(event.purpose).toBe("login");
      expect(event.at).toBe(clock.now());
      expect(typeof event.id).toBe("string");
    }
  });

  it("publishes on node:diagnostics_channel", async () => {
    const { otp } = testOtp();
    const received: OtpEvent[] = [];
    const listener = (message: unknown) => received.push(message as OtpEvent);
    diagnostics_channel.subscribe("otp-actions:succeeded", listener);
    try {
      const { code, context, id } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      await otp.verify({ code, context, purpose: "login" });
      expect(received).toMatchObject([{ type: "succeeded", id }]);
    } finally {
      diagnostics_channel.unsubscribe("otp-actions:succeeded", listener);
    }
  });

  it("a throwing or rejecting listener never breaks a verification", async () => {
    const reported: unknown[] = [];
    const { otp } = testOtp({ onListenerError: (error) => reported.push(error) });
    otp.on("*", () => {
      throw new Error("listener bug");
    });
    otp.on("succeeded", async () => {
      throw new Error("async listener bug");
    });
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported.map((error) => (error as Error).message)).toContain("async listener bug");
    expect(reported.map((error) => (error as Error).message)).toContain("listener bug");
  });

  it("an error hook that throws, for a listener sync or async, never breaks a verification or the process", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { otp } = testOtp({
        onListenerError: () => {
          throw new Error("reporter bug");
        },
      });
      otp.on("succeeded", () => {
        throw new Error("listener bug");
      });
      otp.on("succeeded", async () => {
        throw new Error("async listener bug");
      });
      const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a listener added during dispatch, or subscribing itself again, waits for the next event", async () => {
    const { otp } = testOtp();
    let calls = 0;
    const again = () => {
      calls += 1;
      // Bounded, so that dispatch without the rule fails this test instead of looping for ever.
      if (calls > 5) return;
      off();
      off = otp.on("generated", again);
    };
    let off = otp.on("generated", again);
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(calls).toBe(1);
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(calls).toBe(2);
  });

  it("unsubscribes and refuses unknown event types", () => {
    const { otp } = testOtp();
    const off = otp.on("generated", () => {});
    off();
    expect(() => otp.on("nope" as never, () => {})).toThrow(TypeError);
  });
});

describe("events: trace ids", () => {
  it("carry the traceId each operation was given, and none when it was not", async () => {
    const { otp } = testOtp({ maxAttempts: 3 });
    const seen: Array<[string, string | undefined]> = [];
    otp.on("*", (event) => {
      seen.push([event.type, event.traceId]);
    });
    const a = await otp.generate({ identifier: "user@example.com", purpose: "login", traceId: "trace-gen" });
    await expectOtpError(
      otp.verify({ code: wrongCode(a.code), context: a.context, purpose: "login", traceId: "trace-wrong" }),
      "INVALID_OTP",
    );
    await expectOtpError(
      otp.verify({ code: a.code, context: `${a.context}x`, purpose: "login", traceId: "trace-tampered" }),
      "INVALID_CONTEXT",
    );
    const b = await otp.regenerate({ context: a.context, traceId: "4bf92f3577b34da6a3ce929d0e0e4736" });
    await otp.verify({ code: b.code, context: b.context, purpose: "login" });
    const c = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await otp.revoke(c.context, { traceId: "trace-cancel" });

    expect(seen).toEqual([
      ["generated", "trace-gen"],
      ["validation_attempt", "trace-wrong"],
      ["failed", "trace-wrong"],
      ["failed", "trace-tampered"],
      // A new code revokes the old one: both events belong to the call that asked for it.
      ["revoked", "4bf92f3577b34da6a3ce929d0e0e4736"],
      ["generated", "4bf92f3577b34da6a3ce929d0e0e4736"],
      ["validation_attempt", undefined],
      ["succeeded", undefined],
      ["generated", undefined],
      ["revoked", "trace-cancel"],
    ]);
  });

  it("refuses a traceId that is not 1-128 visible ASCII characters, before anything happens", async () => {
    const { otp } = testOtp();
    const events: OtpEvent[] = [];
    otp.on("*", (event) => {
      events.push(event);
    });
    const issued = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    events.length = 0;
    for (const traceId of ["", "a b", "line\nbreak", "é", "x".repeat(129), 42, null]) {
      const bad = traceId as string;
      await expectOtpError(otp.generate({ identifier: "user@example.com", purpose: "login", traceId: bad }), "INVALID_REQUEST");
      await expectOtpError(otp.verify({ code: issued.code, context: issued.context, purpose: "login", traceId: bad }), "INVALID_REQUEST");
      await expectOtpError(otp.regenerate({ context: issued.context, traceId: bad }), "INVALID_REQUEST");
      await expectOtpError(otp.revoke(issued.context, { traceId: bad }), "INVALID_REQUEST");
    }
    expect(events).toEqual([]);
    // The session was left as it was: the code still verifies.
    await expect(
      otp.verify({ code: issued.code, context: issued.context, purpose: "login", traceId: "x".repeat(128) }),
    ).resolves.toMatchObject({ attempts: 1 });
  });
});
