/**
 * What reaches the service around the router: request targets the router decodes, URLs it cannot
 * decode, HTTP that never becomes a request, and clients too slow to finish one. Real sockets
 * where `inject()` cannot produce the request.
 */
import net, { type AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { buildServer } from "../../src/server/app.js";
import { Outbox, developmentChannels } from "../../src/server/outbox.js";
import { API_KEY, AUTH, testServer } from "../helpers/server.js";

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte written until the server closed the connection. */
  closedAfterMs: number;
}

/** Writes `data` on a fresh connection and reads until the server closes it (or `giveUpMs` passes). */
function exchange(
  port: number,
  data: string,
  options: { giveUpMs?: number; trickle?: { byte: string; everyMs: number } } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const socket = net.connect(port, "127.0.0.1", () => socket.write(data));
    let received = "";
    const trickle = options.trickle && setInterval(() => socket.writable && socket.write(options.trickle!.byte), options.trickle.everyMs);
    const giveUp = setTimeout(() => socket.destroy(), options.giveUpMs ?? 3000);
    socket.on("data", (chunk) => (received += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(giveUp);
      if (trickle) clearInterval(trickle);
      resolve({ ...parseAnswer(received), closedAfterMs: Date.now() - startedAt });
    });
  });
}

function parseAnswer(raw: string): Omit<RawAnswer, "closedAfterMs"> {
  const split = raw.indexOf("\r\n\r\n");
  const head = split === -1 ? raw : raw.slice(0, split);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: split === -1 ? "" : raw.slice(split + 4) };
}

function expectSecurityHeaders(headers: Record<string, string | string[] | number | undefined>): void {
  expect(headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["content-security-policy"]).toContain("default-src 'none'");
}

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as AddressInfo).port;
}

const START_BODY = JSON.stringify({ identifier: "hardening@example.com", purpose: "login" });

function startRequest(target: string, authorization = AUTH.authorization): string {
  return [
    `POST ${target} HTTP/1.1`,
    "Host: localhost",
    `Authorization: ${authorization}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(START_BODY)}`,
    "Connection: close",
    "",
    START_BODY,
  ].join("\r\n");
}

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  ({ app } = await testServer());
  port = await listen(app);
});
afterAll(() => app.close());

describe("Cache-Control: no-store on /v1", () => {
  it("is on a context reached through an absolute-form target or an encoded path", async () => {
    for (const target of ["http://localhost/v1/verifications", "/%76%31/verifications", "/v%31/verifications"]) {
      const answer = await exchange(port, startRequest(target));
      expect(answer.status, target).toBe(201);
      expect(JSON.parse(answer.body).context, target).toBeTypeOf("string");
      expect(answer.headers["cache-control"], target).toBe("no-store");
    }
  });

  it("is on a 404 under an encoded /v1, which no scope sees", async () => {
    const answer = await exchange(port, startRequest("/%76%31/no-such-route"));
    expect(answer.status).toBe(404);
    expect(answer.headers["cache-control"]).toBe("no-store");
  });

  it("is on the 401 of an encoded path too", async () => {
    const answer = await exchange(port, startRequest("/%76%31/verifications", "Bearer wrong-key-0123456789abcdef"));
    expect(answer.status).toBe(401);
    expect(answer.headers["cache-control"]).toBe("no-store");
  });
});

describe("a URL the router cannot decode", () => {
  it("is a 400 INVALID_REQUEST with the security headers, echoing nothing of the URL", async () => {
    for (const url of ["/v1/verifications/check%zz?code=123456", "/%zz"]) {
      const response = await app.inject({ method: "POST", url, headers: { ...AUTH, "content-type": "application/json" }, payload: "{}" });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toEqual({ error: "The request is malformed.", error_code: "INVALID_REQUEST" });
      expectSecurityHeaders(response.headers);
      expect(response.headers["cache-control"]).toBe("no-store");
      expect(response.body).not.toContain("123456");
      expect(response.body).not.toContain("%zz");
    }
  });

  it("is logged like any request, by path, without the query", async () => {
    const lines: string[] = [];
    const logged = await testServer({ logger: { level: "info", stream: { write: (line: string) => void lines.push(line) } } });
    await logged.app.inject({ method: "POST", url: "/v1/verifications/check%zz?code=123456", headers: AUTH, payload: {} });
    await logged.app.close();
    const completed = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === "request completed");
    expect(completed).toMatchObject([{ req: { method: "POST", path: "/v1/verifications/check%zz" }, res: { statusCode: 400 } }]);
    expect(lines.join("")).not.toContain("123456");
  });
});

describe("HTTP that never becomes a request", () => {
  const cases = [
    { name: "an unknown method", data: "FOO /v1/verifications HTTP/1.1\r\nHost: localhost\r\n\r\n", status: 400, code: "INVALID_REQUEST" },
    {
      name: "a bad Content-Length",
      data: "POST /v1/verifications HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
      status: 400,
      code: "INVALID_REQUEST",
    },
    {
      name: "a 20 KB header",
      data: `GET /health/otp HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      status: 431,
      code: "HEADERS_TOO_LARGE",
    },
    { name: "an HTTP/1.1 request without Host", data: "GET /health/otp HTTP/1.1\r\n\r\n", status: 400, code: "INVALID_REQUEST" },
    {
      name: "a start without Host",
      data: startRequest("/v1/verifications").replace("Host: localhost\r\n", ""),
      status: 400,
      code: "INVALID_REQUEST",
    },
    {
      name: "an unsupported Expect",
      data: startRequest("/v1/verifications").replace("Host: localhost\r\n", "Host: localhost\r\nExpect: 200-ok\r\n"),
      status: 417,
      code: "EXPECTATION_FAILED",
    },
    {
      name: "a bad chunk size",
      data: `POST /v1/verifications HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      status: 400,
      code: "INVALID_REQUEST",
    },
    {
      name: "a chunk longer than its size",
      data: `POST /v1/verifications HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX\r\n0\r\n\r\n`,
      status: 400,
      code: "INVALID_REQUEST",
    },
  ];

  for (const { name, data, status, code } of cases) {
    it(`answers ${name} with ${status} ${code} in the registry's body, then closes`, async () => {
      const answer = await exchange(port, data);
      expect(answer.status).toBe(status);
      expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.body));
      expect(answer.headers.connection).toBe("close");
      expect(answer.headers["cache-control"]).toBe("no-store");
      expectSecurityHeaders(answer.headers);
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(["error", "error_code"]);
      expect(body.error_code).toBe(code);
      expect(answer.closedAfterMs).toBeLessThan(2000);
    });
  }

  it("still serves HTTP/1.0 without Host, and Expect: 100-continue", async () => {
    const old = await exchange(port, "GET /health/otp HTTP/1.0\r\n\r\n");
    expect(old.status).toBe(200);
    const continued = await exchange(
      port,
      startRequest("/v1/verifications").replace("Host: localhost\r\n", "Host: localhost\r\nExpect: 100-continue\r\n"),
    );
    expect(continued.body).toMatch(/^HTTP\/1\.1 201 /m);
  });

  it("keeps answering afterwards", async () => {
    const health = await fetch(`http://127.0.0.1:${port}/health/otp`);
    expect(health.status).toBe(200);
  });
});

describe("a client too slow to send its request", () => {
  let slow: FastifyInstance;
  let slowPort: number;

  beforeAll(async () => {
    const outbox = new Outbox();
    const otp = createOtp({ keys: generateKey("h1"), channels: developmentChannels(outbox, () => {}) });
    slow = await buildServer({ otp, apiKeys: [API_KEY], requestTimeoutMs: 300 });
    slowPort = await listen(slow);
  });
  afterAll(() => slow.close());

  it("is cut off with 408 REQUEST_TIMEOUT once the request timeout passes, however steadily it trickles", async () => {
    const headers = `POST /v1/verifications HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const answer = await exchange(slowPort, headers, { giveUpMs: 5000, trickle: { byte: " ", everyMs: 50 } });
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(answer.closedAfterMs).toBeLessThan(2000);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error_code).toBe("REQUEST_TIMEOUT");
  });

  it("refuses a timeout that is not a positive number of milliseconds", async () => {
    const otp = createOtp({ keys: generateKey("h2") });
    await expect(buildServer({ otp, apiKeys: [API_KEY], requestTimeoutMs: 0 })).rejects.toThrow(/requestTimeoutMs/);
  });

  it("still answers a request that arrives in time", async () => {
    const answer = await exchange(slowPort, startRequest("/v1/verifications"));
    expect(answer.status).toBe(201);
  });
});
