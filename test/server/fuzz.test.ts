/**
 * Thousands of random and mutated requests to every route: wrong types, huge and nested bodies,
 * invalid UTF-8, tampered contexts, odd headers. Never a 5xx, and the server keeps answering.
 * Seeded, so a failure can be replayed: OTP_FUZZ_SEED=<seed> npx vitest run test/server/fuzz.test.ts
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";

const SEED = Number(process.env.OTP_FUZZ_SEED ?? Date.now() % 2 ** 31);
const API_KEY = "fuzz-test-api-key-123456";
const AUTH = `Bearer ${API_KEY}`;

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

const ODD_STRINGS = [
  "",
  " ",
  "0",
  "000000",
  "١٢٣٤٥٦",
  "12345６",
  "123 456",
  "\u0000",
  "\ud800",
  "😀".repeat(10),
  "null",
  "<script>",
  "a".repeat(5000),
  "__proto__",
  "constructor",
  "-1",
  "1e309",
  "+14155550123",
  "user@example.com",
  "USER@EXAMPLE.COM ",
  "x@y",
  "login",
  "password_reset",
];

function randomValue(depth = 0): unknown {
  switch (int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick([0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER, 123456]);
    case 3:
      return pick(ODD_STRINGS);
    case 4:
      return String.fromCharCode(...Array.from({ length: int(40) }, () => int(0xffff)));
    case 5:
      return Array.from({ length: int(8) }, () => int(10)).join("");
    case 6:
      return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: int(4) }, () => [
          pick(["identifier", "purpose", "code", "context", "client", "metadata", "x", "ip"]),
          randomValue(depth + 1),
        ]),
      );
  }
}

function nested(levels: number): string {
  return `${"[".repeat(levels)}${"]".repeat(levels)}`;
}

function tamper(context: string): string {
  switch (int(6)) {
    case 0: {
      const at = int(context.length);
      const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      return context.slice(0, at) + pick([...chars]) + context.slice(at + 1);
    }
    case 1:
      return context.slice(0, int(context.length));
    case 2:
      return context + pick(["A", "==", "AAAA", "%", "."]);
    case 3:
      return context.split("").reverse().join("");
    case 4:
      return Buffer.from(context, "base64url").toString("base64");
    default:
      return `${context.slice(0, 2)}${"A".repeat(int(200))}${context.slice(2 + int(50))}`;
  }
}

interface FuzzRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH";
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

const POST_ROUTES = [
  "/v1/verifications",
  "/v1/verifications/check",
  "/v1/verifications/resend",
  "/v1/verifications/cancel",
  "/v1/audit/query",
  "/v1/audit/export",
  "/dev/demo/start",
  "/dev/demo/check",
];
const GET_ROUTES = [
  "/health/otp",
  "/openapi.json",
  "/docs",
  "/dev/outbox",
  "/",
  "/assets/demo.js",
  "/assets/style.css",
  "/v1/verifications",
  "/v1/verifications/AAAAAAAAAAAAAAAAAAAAAA",
  "/v1/verifications/%ff%fe%00",
  `/v1/verifications/${"x".repeat(5000)}`,
  "/nope",
  "/v1/../health/otp",
  "/%00",
  "/dev/outbox?x=%ff",
];

function body(route: string, contexts: readonly string[]): unknown {
  const roll = random();
  const context = contexts.length === 0 || roll < 0.3 ? randomValue() : roll < 0.65 ? tamper(pick(contexts)) : pick(contexts);
  const valid: Record<string, unknown> = route.endsWith("/check")
    ? { context, code: pick([...ODD_STRINGS, "123456", String(int(1e6)).padStart(6, "0")]) }
    : route.endsWith("/resend") || route.endsWith("/cancel")
      ? { context }
      : route.endsWith("/start")
        ? { email: pick(ODD_STRINGS) }
        : route.startsWith("/v1/audit/")
          ? {
              identifier: pick(ODD_STRINGS),
              action: pick(["failed", ["verified", "failed"], "nope", []]),
              from: pick(["2026-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "", "0"]),
              limit: pick([1, 0, 1000, 1001, -1, 2.5]),
              cursor: pick([...ODD_STRINGS, "eyJhdE1zIjoxfQ"]),
            }
          : { identifier: pick(ODD_STRINGS), purpose: pick(["login", "x", "", "a b", "p".repeat(80)]) };
  switch (int(8)) {
    case 0:
      return randomValue();
    case 1: {
      const key = pick(Object.keys(valid));
      return { ...valid, [key]: randomValue() };
    }
    case 2:
      return { ...valid, [pick(["extra", "__proto__", "constructor", "Context"])]: randomValue() };
    case 3:
      return { ...valid, metadata: JSON.parse(`{"a":${nested(1 + int(3000))}}`), client: randomValue() };
    case 4:
      return { ...valid, client: { ip: pick(["1.2.3.4", "::1", "999.0.0.1", "", "fe80::1%eth0"]), userAgent: pick(ODD_STRINGS) } };
    default:
      return valid;
  }
}

function encode(value: unknown): string | Buffer {
  const json = JSON.stringify(value) ?? "null";
  switch (int(10)) {
    case 0: {
      // Invalid UTF-8 spliced in.
      const bytes = Buffer.from(json);
      const at = int(bytes.length);
      return Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88]])),
        bytes.subarray(at),
      ]);
    }
    case 1:
      return json.slice(0, int(json.length));
    case 2:
      return nested(int(10000));
    case 3:
      return `{"a":"${"x".repeat(int(60_000))}"}`;
    default:
      return json;
  }
}

function headers(): Record<string, string> {
  const result: Record<string, string> = {};
  if (random() < 0.85)
    result.authorization = pick([
      AUTH,
      AUTH,
      AUTH,
      "Bearer nope",
      "bearer",
      `Bearer ${API_KEY} extra`,
      "Basic Zm9v",
      `Bearer ${"x".repeat(9000)}`,
    ]);
  result["content-type"] = pick([
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json, text/plain",
    "application/vnd.api+json",
    "",
  ]);
  if (random() < 0.2) result.accept = pick(["application/json", "*/*", "text/html", "\u0001"]);
  if (random() < 0.1) result["content-encoding"] = pick(["gzip", "br", "identity", "nope"]);
  if (random() < 0.1) result["x-forwarded-for"] = pick(["1.1.1.1", "garbage", "1.1.1.1, 2.2.2.2", "::ffff:1.2.3.4"]);
  if (random() < 0.1) result["x-request-id"] = pick(["abc", "x".repeat(500), "\t"]);
  if (random() < 0.05) result["user-agent"] = "u".repeat(int(8000));
  return result;
}

describe("fuzzing every route", () => {
  let service: RunningService;
  const contexts: string[] = [];

  beforeAll(async () => {
    const config = loadConfig({
      OTP_STORE: "memory",
      PORT: "0",
      OTP_KEYS: generateKey("f1"),
      OTP_API_KEYS: `${API_KEY} admin`,
      OTP_TRUST_PROXY: "true",
    });
    service = await startService(config, { say: () => {}, logger: false });
    for (const purpose of ["login", "payment"]) {
      const response = await service.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: { authorization: AUTH },
        payload: { identifier: `${purpose}@example.com`, purpose },
      });
      contexts.push(response.json().context);
    }
    console.log(`fuzz seed ${SEED}`);
  });
  afterAll(() => service?.stop());

  it("answers thousands of random requests without a 5xx", async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      let request: FuzzRequest;
      if (random() < 0.85) {
        const url = pick(POST_ROUTES);
        request = { method: "POST", url, headers: headers(), payload: encode(body(url, contexts)) };
      } else {
        request = { method: pick(["GET", "GET", "HEAD", "OPTIONS", "DELETE", "PUT", "PATCH"]), url: pick(GET_ROUTES), headers: headers() };
      }
      const response = await service.app.inject(request);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 500)
        failures.push(
          `${response.statusCode} ${request.method} ${request.url} ${String(request.payload).slice(0, 200)} → ${response.body.slice(0, 200)}`,
        );
      if (response.statusCode === 201) {
        // Fresh contexts feed the tampering.
        const context = (response.json() as { context?: string }).context;
        if (context && contexts.length < 50) contexts.push(context);
      }
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
    // The fuzzing reached the interesting answers, not only 401s.
    for (const status of [201, 400, 401, 404, 413, 415])
      expect(statuses.get(status) ?? 0, `status ${status}, seed ${SEED}`).toBeGreaterThan(0);
    // Deep answers about a verification's state: gone (410), or refused by the guard first (429).
    expect((statuses.get(410) ?? 0) + (statuses.get(429) ?? 0), `status 410/429, seed ${SEED}`).toBeGreaterThan(0);
    const health = await service.app.inject({ method: "GET", url: "/health/otp" });
    expect(health.statusCode).toBe(200);
  });

  it("survives malformed HTTP over a real socket and keeps answering", async () => {
    const { port } = new URL(service.url);
    const raw = [
      "GARBAGE\r\n\r\n",
      "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nContent-Type: application/json\r\n\r\n{",
      "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
      `GET /health/otp HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      "GET /health/otp HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
      `POST /v1/verifications/check HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      "\u0000\u0001\u0002\r\n\r\n",
    ];
    for (const payload of raw) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(port), "127.0.0.1", () => socket.end(payload));
        let answer = "";
        socket.on("data", (chunk) => (answer += chunk));
        socket.setTimeout(2000, () => socket.destroy());
        socket.on("close", () => {
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
          expect(status < 500, `${JSON.stringify(payload.slice(0, 80))} → ${answer.slice(0, 100)}`).toBe(true);
          resolve();
        });
        socket.on("error", () => undefined);
      });
    }
    const health = await fetch(`${service.url}/health/otp`);
    expect(health.status).toBe(200);
  });
});
