import { describe, expect, it } from "vitest";
import type { Channel, OtpMessage } from "../../src/index.js";
import { createGuard, type Issued } from "../../src/index.js";
import { capturingChannel } from "../../src/testing/index.js";
import { harness, refusal, wrongCode } from "../helpers/guard.js";

const KNOWN = "member@example.com"; // as long as UNKNOWN: the context length follows the identifier
const UNKNOWN = "nobody@example.com";
const shouldSend = ({ identifier }: { identifier: string }) => identifier === KNOWN;

/** Names and value types of a response: what an observer can compare. */
function shape(value: object): Array<[string, string]> {
  return Object.entries(value)
    .map(([key, item]): [string, string] => [key, item instanceof Date ? "date" : typeof item])
    .sort(([a], [b]) => a.localeCompare(b));
}

describe("no enumeration (shouldSend)", () => {
  it("start answers the same for an unknown account, delivers nothing, and its context never verifies", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = harness({ channels: [channel], shouldSend, guard: createGuard({ resendCooldownSeconds: 0 }) });
    const known = await otp.start({ identifier: KNOWN, purpose: "login" });
    const unknown = await otp.start({ identifier: UNKNOWN, purpose: "login" });
    expect(shape(unknown)).toEqual(shape(known));
    expect(unknown.context.length).toBe(known.context.length);
    expect(unknown.expiresAt.getTime() - Date.now()).toBeCloseTo(known.expiresAt.getTime() - Date.now(), -3);
    expect(channel.messages.map((message) => message.to)).toEqual([KNOWN]);

    // Even with the code in hand (regenerate returns it), a decoy never verifies.
    const decoy = await otp.regenerate({ context: unknown.context });
    const error = await refusal(otp.verify({ code: decoy.code, context: decoy.context, purpose: "login" }));
    expect([error.code, error.status]).toEqual(["INVALID_OTP", 400]);
    const real = await otp.regenerate({ context: known.context });
    const wrong = await refusal(otp.verify({ code: wrongCode(real.code), context: real.context, purpose: "login" }));
    expect(Object.keys(error.toBody()).sort()).toEqual(Object.keys(wrong.toBody()).sort());
    expect(error.attemptsRemaining).toBe(wrong.attemptsRemaining);
  });

  it("generate answers the same shape for an unknown account and its code never verifies", async () => {
    const { otp } = harness({ shouldSend });
    const known = await otp.generate({ identifier: KNOWN, purpose: "login" });
    const unknown = await otp.generate({ identifier: UNKNOWN, purpose: "login" });
    expect(shape(unknown)).toEqual(shape(known));
    expect((await refusal(otp.verify({ code: unknown.code, context: unknown.context, purpose: "login" }))).code).toBe("INVALID_OTP");
    await expect(otp.verify({ code: known.code, context: known.context, purpose: "login" })).resolves.toMatchObject({ identifier: KNOWN });
  });

  it("limits treat an unknown account exactly like a known one: same refusals, same status", async () => {
    const { otp } = harness({
      shouldSend,
      guard: createGuard({ resendCooldownSeconds: 0, sendsPerIdentifier: { max: 2, windowSeconds: 600 } }),
    });
    const outcomes = async (identifier: string) => {
      const results: string[] = [];
      for (let i = 0; i < 3; i++)
        results.push(
          await otp.generate({ identifier, purpose: "login" }).then(
            () => "ok",
            (error: { code: string; status: number }) => `${error.code}:${error.status}`,
          ),
        );
      return results;
    };
    expect(await outcomes(UNKNOWN)).toEqual(await outcomes(KNOWN));
    expect(await outcomes(UNKNOWN)).toEqual(["RATE_LIMITED:429", "RATE_LIMITED:429", "RATE_LIMITED:429"]);
  });

  it("with asynchronous delivery, start answers before the channel finishes (response time does not depend on it)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const delivered: OtpMessage[] = [];
    const slow: Channel = {
      name: "email",
      accepts: "email",
      async deliver(message) {
        await gate;
        delivered.push(message);
      },
    };
    const { otp } = harness({ channels: [slow], shouldSend, purposes: { login: { asyncDelivery: true } } });
    const known: Issued = await otp.start({ identifier: KNOWN, purpose: "login" });
    const unknown: Issued = await otp.start({ identifier: UNKNOWN, purpose: "login" });
    expect(delivered).toHaveLength(0);
    expect(shape(unknown)).toEqual(shape(known));
    release();
    await otp.close();
    expect(delivered.map((message) => message.to)).toEqual([KNOWN]);
  });
});
