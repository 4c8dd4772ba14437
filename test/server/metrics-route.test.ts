/**
 * GET /metrics in the service: the engine's metrics and the audit backlog, HTTP requests by route
 * template and status (an unmatched path folded into one label), the process's metrics
 * (prom-client's collectors), and no secret anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";

const API_KEY = "metrics-route-key-0123456789";
const AUTH = { authorization: `Bearer ${API_KEY}` };
const PROBE = "probe-path-5555-secret";

let service: RunningService;
let text: string;
let code: string;
let context: string;

beforeAll(async () => {
  service = await startService(
    loadConfig({
      OTP_STORE: "memory",
      PORT: "0",
      OTP_KEYS: generateKey("m1"),
      OTP_API_KEYS: `${API_KEY} verify metrics`,
      OTP_RATE_LIMITS: "off",
    }),
    { say: () => {}, logger: false },
  );
  const started = await service.app.inject({
    method: "POST",
    url: "/v1/verifications",
    headers: AUTH,
    payload: { identifier: "metrics@example.com", purpose: "login" },
  });
  context = started.json().context;
  code = service.outbox!.list()[0]!.code;
  const checked = await service.app.inject({
    method: "POST",
    url: "/v1/verifications/check",
    headers: AUTH,
    payload: { context, code, purpose: "login" },
  });
  expect(checked.statusCode).toBe(200);
  // Paths no route matches, one of them carrying what looks like a code: one label for all.
  for (const url of [`/${PROBE}`, `/v1/verifications/${code}/nope?code=${code}`, "/another-unknown-path"])
    expect((await service.app.inject({ method: "GET", url, headers: AUTH })).statusCode).toBe(404);
  const response = await service.app.inject({ method: "GET", url: "/metrics", headers: AUTH });
  expect(response.statusCode).toBe(200);
  expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8/);
  text = response.body;
});
afterAll(() => service?.stop());

function types(): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) map.set(match[1]!, match[2]!);
  return map;
}

function value(series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics", () => {
  it("keeps every engine and audit metric with its type", () => {
    expect(Object.fromEntries([...types()].filter(([name]) => name.startsWith("otp_") && !name.startsWith("otp_http_")))).toEqual({
      otp_events_total: "counter",
      otp_limit_refusals_total: "counter",
      otp_time_to_verify_seconds: "histogram",
      otp_attempts_per_success: "histogram",
      otp_operation_duration_seconds: "histogram",
      otp_metrics_series_dropped_total: "counter",
      otp_audit_buffered_rows: "gauge",
      otp_audit_dropped_rows_total: "counter",
      otp_audit_write_failures_total: "counter",
      otp_audit_refused_total: "counter",
    });
    expect(value('otp_events_total{type="generated",purpose="login",channel="email"}')).toBe(1);
    expect(value('otp_events_total{type="succeeded",purpose="login",channel="email"}')).toBe(1);
    expect(value('otp_attempts_per_success_count{purpose="login"}')).toBe(1);
    expect(value("otp_audit_dropped_rows_total")).toBe(0);
  });

  it("counts and times HTTP requests by method, route template and status", () => {
    expect(types().get("otp_http_requests_total")).toBe("counter");
    expect(types().get("otp_http_request_duration_seconds")).toBe("histogram");
    expect(value('otp_http_requests_total{method="POST",route="/v1/verifications",status="201"}')).toBe(1);
    expect(value('otp_http_requests_total{method="POST",route="/v1/verifications/check",status="200"}')).toBe(1);
    expect(value('otp_http_request_duration_seconds_count{method="POST",route="/v1/verifications/check",status="200"}')).toBe(1);
    expect(value('otp_http_request_duration_seconds_bucket{method="POST",route="/v1/verifications",status="201",le="+Inf"}')).toBe(1);
  });

  it("folds every unmatched path into one label, never the raw URL", () => {
    expect(value('otp_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(3);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));
    expect([...routes].sort()).toEqual(["/v1/verifications", "/v1/verifications/check", "unmatched"]);
    expect(text).not.toContain(PROBE);
    expect(text).not.toContain("nope");
  });

  it("has the process's CPU, memory, heap, event-loop lag and GC", () => {
    const names = types();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_gc_duration_seconds",
    ])
      expect(names.has(name), name).toBe(true);
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("carries no code, context, identifier or API key", () => {
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(context);
    expect(text).not.toContain("metrics@example.com");
    // Digits as a whole value, not a substring of some other number.
    expect(text).not.toMatch(new RegExp(`(?<![0-9.])${code}(?![0-9])`));
  });
});
