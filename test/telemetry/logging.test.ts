import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { attachLogger } from "../../src/telemetry/logging.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function capture() {
  let output = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.toString("utf8");
      callback();
    },
  });
  // No timestamp, so a digit run in a line cannot be mistaken for a code.
  const logger = pino({ level: "debug", timestamp: false, base: null }, stream);
  return {
    logger,
    text: () => output,
    lines: () =>
      output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Line),
  };
}

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

describe("attachLogger with pino", () => {
  it("writes one line per event at a fitting level, with the identifier masked and no code, key or context", async () => {
    const key = generateKey();
    const email = capturingChannel({ name: "email", accepts: "email" });
    const otp = createOtp({ keys: key, channels: [email], codeLength: 10, delivery: { retryDelayMs: 5 }, guard: false });
    const { logger, text, lines } = capture();
    attachLogger(otp, logger);

    const issued = await otp.start({
      identifier: "Grace.Hopper@Example.com",
      purpose: "login",
      client: { ip: "203.0.113.9" },
      metadata: { ssn: "078-05-1120" },
    });
    const code = email.lastCodeFor("grace.hopper@example.com")!;
    const wrong = code === "0000000000" ? "0000000001" : "0000000000";
    await otp.verify({ code: wrong, context: issued.context, purpose: "login" }).catch(() => undefined);
    await otp.verify({ code, context: issued.context, purpose: "login" });
    await otp.verify({ code, context: issued.context, purpose: "login" }).catch(() => undefined);
    await otp.verify({ code, context: `${issued.context.slice(0, -4)}AAAA`, purpose: "login" }).catch(() => undefined);
    email.failNext(3);
    await otp.start({ identifier: "grace.hopper@example.com", purpose: "login" }).catch(() => undefined);

    const logged = lines();
    expect(logged.map((line) => [line.event, line.level, line.reason])).toEqual([
      ["generated", LEVEL.info, undefined],
      ["delivered", LEVEL.info, undefined],
      ["validation_attempt", LEVEL.debug, undefined],
      ["failed", LEVEL.info, "INVALID_OTP"],
      ["validation_attempt", LEVEL.debug, undefined],
      ["succeeded", LEVEL.info, undefined],
      ["failed", LEVEL.warn, "ALREADY_USED"],
      ["failed", LEVEL.warn, "INVALID_CONTEXT"],
      ["generated", LEVEL.info, undefined],
      ["delivery_failed", LEVEL.error, "DELIVERY_FAILED"],
    ]);
    expect(logged[0]).toMatchObject({
      msg: "otp generated",
      purpose: "login",
      channel: "email",
      identifier: "g***@example.com",
      verificationId: issued.id,
      ip: "203.0.113.9",
    });

    const output = text();
    expect(output).not.toContain(code);
    expect(output).not.toContain(issued.context);
    expect(output).not.toContain(key.split(":")[1]!);
    expect(output.toLowerCase()).not.toContain("grace.hopper");
    // Metadata may be personal data: left out unless asked for.
    expect(output).not.toContain("078-05-1120");
  });

  it("takes level overrides and can include metadata; detaching stops the lines", async () => {
    const otp = createOtp({ keys: generateKey(), channels: [capturingChannel({ name: "email", accepts: "email" })], guard: false });
    const { logger, lines } = capture();
    const detach = attachLogger(otp, logger, { levels: { generated: "debug" }, includeMetadata: true, includeClient: false });
    await otp.start({ identifier: "ada@example.com", purpose: "login", metadata: { plan: "pro" }, client: { ip: "203.0.113.9" } });
    expect(lines()[0]).toMatchObject({ event: "generated", level: LEVEL.debug, metadata: { plan: "pro" } });
    expect(lines()[0]!.ip).toBeUndefined();
    detach();
    const before = lines().length;
    await otp.start({ identifier: "ada@example.com", purpose: "login" });
    expect(lines()).toHaveLength(before);
  });

  it("refuses something that is not a logger", () => {
    const otp = createOtp({ keys: generateKey(), guard: false });
    expect(() => attachLogger(otp, {} as never)).toThrow(TypeError);
    expect(() => attachLogger(otp, console as never, { levels: { generated: "loud" as never } })).toThrow(TypeError);
    expect(() => attachLogger(otp, console as never)).not.toThrow();
  });
});
