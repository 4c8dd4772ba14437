/**
 * The operator's operations (cancel, unlock) and the authenticator-app ones (otp.totp.*) are traced
 * and timed like the others: a span each, exported through a real SDK into memory, with the
 * purpose, the id and the outcome, and never the secret, a code, a recovery code, the factor or the
 * identifier; and a duration series per operation and outcome.
 */
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { authenticator } from "otplib";
import { describe, expect, it } from "vitest";
import { createOtp, type Otp, type OtpEvent } from "../../src/index.js";
import { createMetrics } from "../../src/telemetry/metrics.js";
import { withTracing } from "../../src/telemetry/tracing.js";
import { fakeClock } from "../../src/testing/index.js";
import { expectOtpError, KEY_A } from "../helpers/otp.js";

const ACCOUNT = "alice.liddell@example.com";
const UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA";

function engine() {
  const clock = fakeClock(Date.UTC(2026, 0, 1, 12));
  const otp = createOtp({ keys: KEY_A, clock });
  const events: OtpEvent[] = [];
  otp.on("*", (event) => void events.push(event));
  const codeOf = (secret: string) => authenticator.clone({ epoch: clock.now() }).generate(secret);
  return { otp, clock, events, codeOf };
}

/** Every operator and factor operation once, and the failures worth telling; what a leak would show. */
async function everyOperation(otp: Otp, setup: ReturnType<typeof engine>) {
  const issued = await otp.generate({ identifier: "grace.hopper@example.com", purpose: "login" });
  await otp.cancel(issued.id, { actor: "ops-key" });
  await expectOtpError(otp.cancel(UNKNOWN_ID), "NOT_FOUND");
  await expectOtpError(otp.cancel("grace.hopper@example.com"), "INVALID_REQUEST");
  await otp.unlock({ identifier: "grace.hopper@example.com", purpose: "login", actor: "ops-key" });
  await expectOtpError(
    otp.unlock({ identifier: "grace.hopper@example.com", identifierHash: UNKNOWN_ID, purpose: "login" }),
    "INVALID_REQUEST",
  );

  const enrolment = await otp.totp.enrol({ account: ACCOUNT, issuer: "Example" });
  const first = setup.codeOf(enrolment.secret);
  const { factor } = await otp.totp.confirm({ factor: enrolment.factor, code: first });
  setup.clock.advance(30_000);
  const next = setup.codeOf(enrolment.secret);
  const wrong = next === "000000" ? "111111" : "000000";
  await expectOtpError(otp.totp.verify({ factor, code: wrong }), "INVALID_OTP");
  await otp.totp.verify({ factor, code: next });
  const recovery = await otp.totp.recoveryCodes({ factor });
  await otp.totp.useRecoveryCode({ factor: recovery.factor, code: recovery.codes[0]! });
  await expectOtpError(otp.totp.useRecoveryCode({ factor: recovery.factor, code: recovery.codes[0]! }), "ALREADY_USED");
  await expectOtpError(otp.totp.recoveryCodes({ factor: `${factor}x` }), "INVALID_FACTOR");
  const secrets = [
    "grace",
    "hopper",
    "alice",
    "liddell",
    issued.code,
    issued.context,
    enrolment.secret,
    enrolment.uri,
    enrolment.factor,
    first,
    next,
    factor,
    recovery.factor,
    ...recovery.codes,
  ];
  return { issued, enrolment, recovery, secrets };
}

describe("spans of cancel, unlock and the factor operations", () => {
  it("tell the purpose, the id and the outcome, the error's code on failure, and no secret", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const setup = engine();
    const otp = withTracing(setup.otp, provider.getTracer("test"));
    const { issued, enrolment, secrets } = await everyOperation(otp, setup);
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();

    expect(spans.map((span) => span.name)).toEqual([
      "otp.generate",
      "otp.cancel",
      "otp.cancel",
      "otp.cancel",
      "otp.unlock",
      "otp.unlock",
      "otp.totp.enrol",
      "otp.totp.confirm",
      "otp.totp.verify",
      "otp.totp.verify",
      "otp.totp.recoveryCodes",
      "otp.totp.useRecoveryCode",
      "otp.totp.useRecoveryCode",
      "otp.totp.recoveryCodes",
    ]);
    const [
      ,
      cancelled,
      notFound,
      malformed,
      unlocked,
      badUnlock,
      enrolled,
      confirmed,
      wrongCode,
      verified,
      codes,
      used,
      reused,
      badFactor,
    ] = spans.map((span) => ({ attributes: span.attributes, status: span.status.code }));
    expect(cancelled!.attributes).toEqual({ "otp.verification_id": issued.id, "otp.outcome": "ok" });
    expect(notFound!.attributes).toEqual({ "otp.verification_id": UNKNOWN_ID, "otp.outcome": "NOT_FOUND", "error.type": "NOT_FOUND" });
    expect(malformed!.attributes).toEqual({ "otp.outcome": "INVALID_REQUEST", "error.type": "INVALID_REQUEST" });
    expect(unlocked!.attributes).toEqual({ "otp.purpose": "login", "otp.lifted": true, "otp.outcome": "ok" });
    expect(badUnlock!.attributes).toEqual({ "otp.purpose": "login", "otp.outcome": "INVALID_REQUEST", "error.type": "INVALID_REQUEST" });
    const factorOk = { "otp.purpose": "totp", "otp.factor_id": enrolment.factorId, "otp.outcome": "ok" };
    for (const span of [enrolled, confirmed, verified, codes, used]) expect(span!.attributes).toEqual(factorOk);
    expect(wrongCode!.attributes).toEqual({ "otp.purpose": "totp", "otp.outcome": "INVALID_OTP", "error.type": "INVALID_OTP" });
    expect(reused!.attributes).toEqual({ "otp.purpose": "totp", "otp.outcome": "ALREADY_USED", "error.type": "ALREADY_USED" });
    expect(badFactor!.attributes).toEqual({ "otp.purpose": "totp", "otp.outcome": "INVALID_FACTOR", "error.type": "INVALID_FACTOR" });
    // Wrong codes and bad input are the caller's failures, not the service's.
    for (const span of [notFound, malformed, badUnlock, wrongCode, reused, badFactor]) expect(span!.status).toBe(SpanStatusCode.UNSET);

    // The operations' events carry their span's trace id, as the others' do.
    const codesEvent = setup.events.find((event) => event.type === "recovery_codes_generated")!;
    expect(codesEvent.traceId).toBe(spans[10]!.spanContext().traceId);
    expect(setup.events.find((event) => event.type === "unlocked")!.traceId).toBe(spans[4]!.spanContext().traceId);

    const serialized = JSON.stringify(
      spans.map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, links: span.links })),
    );
    for (const secret of secrets) expect(serialized).not.toContain(secret);
    await provider.shutdown();
  });
});

describe("metrics.instrument", () => {
  it("times cancel, unlock and each factor operation by operation and outcome", async () => {
    const setup = engine();
    const metrics = createMetrics(setup.otp);
    const { secrets } = await everyOperation(metrics.instrument(setup.otp), setup);
    const text = metrics.render();
    const count = (operation: string, outcome: string) =>
      text.match(new RegExp(`^otp_operation_duration_seconds_count\\{operation="${operation}",outcome="${outcome}"\\} (\\d+)$`, "m"))?.[1];
    expect(count("cancel", "ok")).toBe("1");
    expect(count("cancel", "NOT_FOUND")).toBe("1");
    expect(count("cancel", "INVALID_REQUEST")).toBe("1");
    expect(count("unlock", "ok")).toBe("1");
    expect(count("unlock", "INVALID_REQUEST")).toBe("1");
    expect(count("totp.enrol", "ok")).toBe("1");
    expect(count("totp.confirm", "ok")).toBe("1");
    expect(count("totp.verify", "ok")).toBe("1");
    expect(count("totp.verify", "INVALID_OTP")).toBe("1");
    expect(count("totp.recoveryCodes", "ok")).toBe("1");
    expect(count("totp.recoveryCodes", "INVALID_FACTOR")).toBe("1");
    expect(count("totp.useRecoveryCode", "ok")).toBe("1");
    expect(count("totp.useRecoveryCode", "ALREADY_USED")).toBe("1");
    for (const secret of secrets) expect(text).not.toContain(secret);
    metrics.close();
  });
});
