import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { createMetrics, PROMETHEUS_CONTENT_TYPE } from "../../src/telemetry/metrics.js";
import { formatLabels } from "../../src/telemetry/prometheus.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";
import { fakeClock } from "../../src/testing/fake-clock.js";

function setup() {
  const clock = fakeClock();
  const email = capturingChannel({ name: "email", accepts: "email" });
  const otp = createOtp({ keys: generateKey(), clock, channels: [email], codeLength: 8 });
  const metrics = createMetrics(otp);
  return { clock, email, otp, metrics };
}

/** `name{labels} value` lines as a map, for lookups in assertions. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    map.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return map;
}

describe("createMetrics", () => {
  it("counts events by type, purpose, channel and reason in the Prometheus text format", async () => {
    const { clock, email, otp, metrics } = setup();
    expect(metrics.contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    const issued = await otp.start({ identifier: "ada@example.com", purpose: "login" });
    const code = email.lastCodeFor("ada@example.com")!;
    await otp
      .verify({ code: code === "00000000" ? "00000001" : "00000000", context: issued.context, purpose: "login" })
      .catch(() => undefined);
    clock.advance(12_000);
    await otp.verify({ code, context: issued.context, purpose: "login" });
    await otp.verify({ code, context: issued.context, purpose: "login" }).catch(() => undefined);

    const text = metrics.render();
    expect(text).toContain("# TYPE otp_events_total counter");
    const values = samples(text);
    expect(values.get('otp_events_total{type="generated",purpose="login",channel="email"}')).toBe(1);
    expect(values.get('otp_events_total{type="delivered",purpose="login",channel="email"}')).toBe(1);
    expect(values.get('otp_events_total{type="failed",purpose="login",channel="email",reason="INVALID_OTP"}')).toBe(1);
    expect(values.get('otp_events_total{type="failed",purpose="login",channel="email",reason="ALREADY_USED"}')).toBe(1);
    expect(values.get('otp_events_total{type="succeeded",purpose="login",channel="email"}')).toBe(1);
    // Time to verify, measured from the events' clock: 12 s lands in the 20 s bucket, not the 10 s one.
    expect(values.get('otp_time_to_verify_seconds_bucket{purpose="login",le="10"}')).toBe(0);
    expect(values.get('otp_time_to_verify_seconds_bucket{purpose="login",le="20"}')).toBe(1);
    expect(values.get('otp_time_to_verify_seconds_bucket{purpose="login",le="+Inf"}')).toBe(1);
    expect(values.get('otp_time_to_verify_seconds_sum{purpose="login"}')).toBe(12);
    expect(values.get('otp_attempts_per_success_bucket{purpose="login",le="1"}')).toBe(0);
    expect(values.get('otp_attempts_per_success_bucket{purpose="login",le="2"}')).toBe(1);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("never exposes an identifier, a verification id, a context or a code", async () => {
    const { email, otp, metrics } = setup();
    const issued = await otp.start({ identifier: "grace.hopper@example.com", purpose: "login", metadata: { user: "u-42" } });
    const code = email.lastCodeFor("grace.hopper@example.com")!;
    await otp.verify({ code, context: issued.context, purpose: "login" });
    const text = metrics.render();
    for (const secret of ["grace", "hopper", "g***@example.com", issued.id, issued.context, code, "u-42"])
      expect(text).not.toContain(secret);
  });

  it("bounds label values: garbage purposes from callers cannot grow the series without end", async () => {
    const { otp, metrics } = setup();
    // verify() with a bad context reports the caller's purpose, unvalidated: the attack surface.
    for (let i = 0; i < 500; i++) await otp.verify({ code: "12345678", context: "garbage", purpose: `p${i}` }).catch(() => undefined);
    await otp.verify({ code: "12345678", context: "garbage", purpose: 'evil"} 1\nfake_metric{x="' }).catch(() => undefined);
    const values = samples(metrics.render());
    const failedSeries = [...values.keys()].filter((key) => key.startsWith('otp_events_total{type="failed"'));
    expect(failedSeries.length).toBeLessThanOrEqual(52);
    expect(values.get('otp_events_total{type="failed",purpose="other",reason="INVALID_CONTEXT"}')).toBe(450);
    expect(values.get('otp_events_total{type="failed",purpose="invalid",reason="INVALID_CONTEXT"}')).toBe(1);
    expect(metrics.render()).not.toContain("fake_metric");
  });

  it("keeps only the allowed purposes when given, and caps label sets per metric", async () => {
    const clock = fakeClock();
    const otp = createOtp({ keys: generateKey(), clock, channels: [capturingChannel({ name: "email", accepts: "email" })] });
    const metrics = createMetrics(otp, { purposes: ["login"], maxSeries: 3 });
    await otp.start({ identifier: "a@example.com", purpose: "login" });
    await otp.start({ identifier: "a@example.com", purpose: "payment" });
    await otp.verify({ code: "123456", context: "garbage", purpose: "login" }).catch(() => undefined);
    const values = samples(metrics.render());
    expect(values.get('otp_events_total{type="generated",purpose="login",channel="email"}')).toBe(1);
    expect(values.get('otp_events_total{type="generated",purpose="other",channel="email"}')).toBe(1);
    expect(values.get('otp_events_total{type="delivered",purpose="login",channel="email"}')).toBe(1);
    // The fourth distinct label set (delivered/other) and the fifth (failed/login) were dropped and counted.
    expect([...values.keys()].filter((key) => key.startsWith("otp_events_total")).length).toBe(3);
    expect(values.get("otp_metrics_series_dropped_total")).toBe(2);
  });

  it("stops counting after close()", async () => {
    const { otp, metrics } = setup();
    metrics.close();
    await otp.start({ identifier: "ada@example.com", purpose: "login" });
    expect(metrics.render()).not.toContain("otp_events_total{");
  });

  it("escapes label values as the exposition format requires", () => {
    expect(formatLabels({ a: 'x"y\\z\nw', empty: "" })).toBe('{a="x\\"y\\\\z\\nw"}');
  });
});

describe("metrics.instrument", () => {
  it("times operations by operation and outcome", async () => {
    const { email, otp: engine, metrics } = setup();
    const otp = metrics.instrument(engine);
    const issued = await otp.start({ identifier: "ada@example.com", purpose: "login" });
    await otp.verify({ code: "1234567", context: issued.context, purpose: "login" }).catch(() => undefined);
    await otp.verify({ code: email.lastCodeFor("ada@example.com")!, context: issued.context, purpose: "login" });
    const values = samples(metrics.render());
    expect(values.get('otp_operation_duration_seconds_count{operation="start",outcome="ok"}')).toBe(1);
    expect(values.get('otp_operation_duration_seconds_count{operation="verify",outcome="INVALID_CODE_FORMAT"}')).toBe(1);
    expect(values.get('otp_operation_duration_seconds_count{operation="verify",outcome="ok"}')).toBe(1);
    expect(values.get('otp_operation_duration_seconds_bucket{operation="verify",outcome="ok",le="+Inf"}')).toBe(1);
    expect(values.get('otp_operation_duration_seconds_sum{operation="verify",outcome="ok"}')).toBeGreaterThan(0);
    // The wrapped engine still emits the events the counters come from.
    expect(values.get('otp_events_total{type="succeeded",purpose="login",channel="email"}')).toBe(1);
  });
});
