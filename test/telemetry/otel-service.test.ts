/**
 * The service with OTEL_* set: an OTLP/HTTP JSON receiver in the test gets a server span per
 * request (route template as name and http.route, the status code) with the engine's span
 * beneath it, for a start and a check; the request's log lines carry its trace id and request
 * id; no code, context, identifier or API key reaches a span or a line.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { tracingSettings } from "../../src/telemetry/otel-sdk.js";

const API_KEY = "otel-test-api-key-0123456789";
const AUTH = { authorization: `Bearer ${API_KEY}` };
const IDENTIFIER = "otel.person@example.com";
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }>;
}

const bodies: string[] = [];
let receiver: Server;
const lines: Array<Record<string, unknown>> = [];
const saved: Record<string, string | undefined> = {};
let spans: OtlpSpan[] = [];
let resourceAttributes: string;
let startResponse: { requestId: string; context: string };
let code: string;

function attribute(span: OtlpSpan, key: string): string | number | undefined {
  const found = span.attributes?.find((entry) => entry.key === key)?.value;
  if (found?.intValue !== undefined) return Number(found.intValue);
  return found?.stringValue;
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (request.url === "/v1/traces") bodies.push(body);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const env = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "otp-otel-test",
  };
  // The exporter reads its endpoint from the process's environment, as in production.
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  const service = await startService(
    loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("o1"), OTP_API_KEYS: `${API_KEY} verify`, OTP_RATE_LIMITS: "off" }),
    { say: () => {}, env: { ...process.env, ...env }, logStream: { write: (line) => void lines.push(JSON.parse(line)) } },
  );
  try {
    const started = await fetch(`${service.url}/v1/verifications`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ identifier: IDENTIFIER, purpose: "login" }),
    });
    expect(started.status).toBe(201);
    startResponse = { requestId: started.headers.get("x-request-id")!, context: ((await started.json()) as { context: string }).context };
    code = service.outbox!.list()[0]!.code;
    const checked = await fetch(`${service.url}/v1/verifications/check`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json", traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ context: startResponse.context, code, purpose: "login" }),
    });
    expect(checked.status).toBe(200);
  } finally {
    // Stopping flushes the spans still batched.
    await service.stop();
  }
  const payloads = bodies.map((body) => JSON.parse(body));
  spans = payloads.flatMap((payload) =>
    payload.resourceSpans.flatMap((resource: { scopeSpans: Array<{ spans: OtlpSpan[] }> }) =>
      resource.scopeSpans.flatMap((scope) => scope.spans),
    ),
  );
  resourceAttributes = JSON.stringify(
    payloads.map((payload) => payload.resourceSpans.map((resource: { resource: unknown }) => resource.resource)),
  );
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await new Promise((resolve) => receiver?.close(resolve));
});

describe("OpenTelemetry in the service", () => {
  it("exports a server span per request with the engine's span beneath it", () => {
    for (const [route, status, operation] of [
      ["/v1/verifications", 201, "otp.start"],
      ["/v1/verifications/check", 200, "otp.verify"],
    ] as const) {
      const server = spans.find((span) => span.name === `POST ${route}`);
      expect(server, route).toBeDefined();
      expect(server!.kind).toBe(2); // SERVER
      expect(attribute(server!, "http.route")).toBe(route);
      expect(attribute(server!, "http.request.method")).toBe("POST");
      expect(attribute(server!, "http.response.status_code")).toBe(status);
      const engine = spans.find((span) => span.name === operation);
      expect(engine, operation).toBeDefined();
      expect(engine!.parentSpanId).toBe(server!.spanId);
      expect(engine!.traceId).toBe(server!.traceId);
    }
    expect(resourceAttributes).toContain("otp-otel-test");
  });

  it("continues the caller's trace from traceparent", () => {
    const check = spans.find((span) => span.name === "POST /v1/verifications/check")!;
    expect(check.traceId).toBe(CALLER_TRACE);
    expect(check.parentSpanId).toBe(CALLER_SPAN);
  });

  it("writes the trace id and the request id on every line of a request", () => {
    const start = spans.find((span) => span.name === "POST /v1/verifications")!;
    const ofStart = lines.filter((line) => line.reqId === startResponse.requestId);
    expect(ofStart.length).toBeGreaterThan(0);
    for (const line of ofStart) expect(line.trace_id).toBe(start.traceId);
    expect(ofStart.some((line) => line.msg === "request completed")).toBe(true);
    for (const line of lines.filter((candidate) => candidate.reqId !== undefined)) expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const check = lines.find((line) => line.msg === "request completed" && line.trace_id === CALLER_TRACE);
    expect(check?.reqId).toBeTypeOf("string");
  });

  it("puts no code, context, identifier or API key in a span or a log line", () => {
    const everything = JSON.stringify(spans) + JSON.stringify(lines);
    for (const secret of [API_KEY, startResponse.context, IDENTIFIER, "otel.person"]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(new RegExp(`(?<![0-9a-f])${code}(?![0-9a-f])`));
  });
});

describe("tracingSettings", () => {
  it("is off unless an endpoint or an exporter is named, and refuses what it cannot honour", () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: "x" })).toBeUndefined();
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBeUndefined();
    expect(tracingSettings({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBeUndefined();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toEqual({
      exporter: "otlp",
      protocol: "http/protobuf",
      sampler: "parentbased_always_on",
      ratio: 1,
    });
    expect(
      tracingSettings({ OTEL_TRACES_EXPORTER: "console", OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }),
    ).toMatchObject({
      exporter: "console",
      sampler: "traceidratio",
      ratio: 0.25,
    });
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/grpc/);
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER_ARG: "2" })).toThrow(/SAMPLER_ARG/);
  });
});
