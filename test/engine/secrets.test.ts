import { inspect } from "node:util";
import diagnostics_channel from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import type { OtpError, OtpEvent } from "../../src/index.js";
import { openToken } from "../../src/core/token.js";
import { KEY_A, testOtp, wrongCode } from "../helpers/otp.js";

describe("no secret leaks", () => {
  it("never puts the code or the key in an event, an error, or the token plaintext", async () => {
    const { otp } = testOtp();
    const events: OtpEvent[] = [];
    otp.on("*", (event) => {
      events.push(event);
    });
    const published: unknown[] = [];
    const onPublish = (message: unknown) => published.push(message);
    diagnostics_channel.subscribe("otp-actions:generated", onPublish);
    const errors: unknown[] = [];
    const secret = KEY_A.split(":")[1]!;
    const seen: string[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login", metadata: { userId: i } });
        seen.push(code);
        errors.push(await otp.verify({ code: wrongCode(code), context, purpose: "login" }).catch((e: unknown) => e));
        errors.push(await otp.verify({ code, context: context.slice(0, -2), purpose: "login" }).catch((e: unknown) => e));
        const { claims } = openToken(otp.keyring, context);
        const plaintext = JSON.stringify({ ...claims, codeMac: claims.codeMac.toString("hex") });
        expect(plaintext).not.toContain(`"${code}"`);
        await otp.verify({ code, context, purpose: "login" });
      }
    } finally {
      diagnostics_channel.unsubscribe("otp-actions:generated", onPublish);
    }
    expect(published).toHaveLength(50);
    const haystack = [
      ...events.map((event) => JSON.stringify(event)),
      ...errors.map((error) => {
        const e = error as OtpError;
        return `${e.message} ${JSON.stringify(e.toBody())} ${inspect(e)}`;
      }),
      inspect(otp.keyring),
      JSON.stringify(otp.keyring),
    ].join("\n");
    expect(haystack).not.toContain(secret);
    for (const code of seen) {
      // Codes are digits: look for them as whole values, not as substrings of timestamps.
      expect(haystack).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));
    }
    expect(events.every((event) => !("code" in event))).toBe(true);
    expect(events.filter((e) => e.identifier !== undefined).every((e) => e.identifier === "u***@example.com")).toBe(true);
  });
});
