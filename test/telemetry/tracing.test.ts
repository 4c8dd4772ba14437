import type { Attributes, AttributeValue, Link, Span, SpanContext, SpanOptions, SpanStatus, Tracer } from "@opentelemetry/api";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { withTracing } from "../../src/telemetry/tracing.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";

/** A span that keeps what it is told, for assertions: the API's contract without an SDK. */
class RecordedSpan implements Span {
  attributes: Attributes = {};
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  ended = false;
  constructor(
    public name: string,
    options: SpanOptions,
  ) {
    this.attributes = { ...options.attributes };
  }
  spanContext(): SpanContext {
    return { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 };
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return true;
  }
  recordException(): void {
    throw new Error("the wrapper must not record exceptions");
  }
}

function recordingTracer(): Tracer & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  return {
    spans,
    startSpan(name: string, options: SpanOptions = {}) {
      const span = new RecordedSpan(name, options);
      spans.push(span);
      return span;
    },
    startActiveSpan() {
      throw new Error("not used");
    },
  } as Tracer & { spans: RecordedSpan[] };
}

describe("withTracing", () => {
  it("runs each operation in a span with purpose, channel and outcome, never the code or identifier", async () => {
    const tracer = recordingTracer();
    const email = capturingChannel({ name: "email", accepts: "email" });
    const plain = createOtp({ keys: generateKey(), channels: [email], codeLength: 8, guard: false });
    const otp = withTracing(plain, tracer);

    const issued = await otp.start({ identifier: "grace@example.com", purpose: "login" });
    const first = email.lastCodeFor("grace@example.com")!;
    const resent = await otp.resend({ context: issued.context });
    const code = email.lastCodeFor("grace@example.com")!;
    const wrong = await otp
      .verify({ code: first === code ? "00000000" : first, context: resent.context, purpose: "login" })
      .catch((error: unknown) => error);
    expect((wrong as OtpError).code).toBe("INVALID_OTP");
    const verified = await otp.verify({ code, context: resent.context, purpose: "login" });
    expect(verified.identifier).toBe("grace@example.com");
    const generated = await otp.generate({ identifier: "+14155550123", purpose: "payment" });
    await otp.revoke(generated.context);

    expect(tracer.spans.map((span) => span.name)).toEqual([
      "otp.start",
      "otp.resend",
      "otp.verify",
      "otp.verify",
      "otp.generate",
      "otp.revoke",
    ]);
    expect(tracer.spans.every((span) => span.ended)).toBe(true);
    expect(tracer.spans[0]!.attributes).toEqual({
      "otp.purpose": "login",
      "otp.channel": "email",
      "otp.verification_id": issued.id,
      "otp.outcome": "ok",
    });
    expect(tracer.spans[2]!.attributes).toMatchObject({
      "otp.purpose": "login",
      "otp.outcome": "INVALID_OTP",
      "error.type": "INVALID_OTP",
      "otp.attempts_remaining": 2,
    });
    // A wrong code is the caller's failure, not the service's.
    expect(tracer.spans[2]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(tracer.spans[3]!.attributes).toMatchObject({ "otp.outcome": "ok", "otp.attempts": 2, "otp.channel": "email" });
    expect(tracer.spans[5]!.attributes).toEqual({ "otp.verification_id": generated.id, "otp.outcome": "ok" });

    const everything = JSON.stringify(tracer.spans.map((span) => span.attributes));
    for (const secret of [first, code, generated.code, "grace", "4155550123", issued.context, resent.context, generated.context])
      expect(everything).not.toContain(secret);
  });

  it("gives each operation's events the span's trace id, unless the caller named one", async () => {
    const plain = createOtp({ keys: generateKey(), guard: false });
    const traced = withTracing(plain, recordingTracer());
    const untraced = withTracing(plain, trace.getTracer("no sdk registered"));
    const seen: Array<[string, string | undefined]> = [];
    plain.on("*", (event) => {
      seen.push([event.type, event.traceId]);
    });
    const a = await traced.generate({ identifier: "ada@example.com", purpose: "login" });
    await traced.verify({ code: a.code, context: a.context, purpose: "login", traceId: "mine-1" });
    const b = await traced.generate({ identifier: "ada@example.com", purpose: "login" });
    await traced.revoke(b.context);
    // Without an SDK, spans have no valid context: no trace id rather than zeros.
    await untraced.generate({ identifier: "ada@example.com", purpose: "login" });
    const spanTrace = "0af7651916cd43dd8448eb211c80319c";
    expect(seen).toEqual([
      ["generated", spanTrace],
      ["validation_attempt", "mine-1"],
      ["succeeded", "mine-1"],
      ["generated", spanTrace],
      ["revoked", spanTrace],
      ["generated", undefined],
    ]);
  });

  it("marks server-side failures as errors and passes every error through unchanged", async () => {
    const tracer = recordingTracer();
    const email = capturingChannel({ name: "email", accepts: "email" });
    const otp = withTracing(createOtp({ keys: generateKey(), channels: [email], delivery: { retries: 0 }, guard: false }), tracer);
    email.failNext(1);
    const failed = await otp.start({ identifier: "ada@example.com", purpose: "login" }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(OtpError);
    expect((failed as OtpError).code).toBe("DELIVERY_FAILED");
    expect(tracer.spans[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: "DELIVERY_FAILED" });

    const misuse = await otp.verify({ code: "123456", context: "x" } as never).catch((error: unknown) => error);
    expect(misuse).toBeInstanceOf(TypeError);
    expect(tracer.spans[1]!.attributes).toMatchObject({ "otp.outcome": "error", "error.type": "TypeError" });
    expect(tracer.spans[1]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("keeps the engine's other members", async () => {
    const plain = createOtp({ keys: generateKey(), guard: false });
    const otp = withTracing(plain, recordingTracer());
    expect(otp.keyring).toBe(plain.keyring);
    expect(otp.store).toBe(plain.store);
    expect(otp.channels).toBe(plain.channels);
    const seen: string[] = [];
    otp.on("generated", (event) => void seen.push(event.type));
    await otp.generate({ identifier: "ada@example.com", purpose: "login" });
    expect(seen).toEqual(["generated"]);
    await otp.close();
  });

  it("works with the API's default (no-op) tracer when no SDK is registered", async () => {
    const otp = withTracing(createOtp({ keys: generateKey(), guard: false }));
    await expect(otp.generate({ identifier: "ada@example.com", purpose: "login" })).resolves.toMatchObject({ purpose: "login" });
  });
});
