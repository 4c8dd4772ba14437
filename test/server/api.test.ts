import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtpError } from "../../src/core/errors.js";
import type { CheckAttempt, Guard, SendAttempt } from "../../src/contracts/guard.js";
import type { TrustProxy } from "../../src/core/client-ip.js";
import { API_KEY, AUTH, testServer, wrong, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(() => server.app.close());

async function start(body: Record<string, unknown>) {
  return server.app.inject({ method: "POST", url: "/v1/verifications", headers: AUTH, payload: body });
}
async function call(path: string, body: unknown) {
  return server.app.inject({ method: "POST", url: `/v1/verifications/${path}`, headers: AUTH, payload: body as Record<string, unknown> });
}

describe("POST /v1/verifications", () => {
  it("starts a verification, delivers the code and never returns it", async () => {
    const response = await start({ identifier: "Start@Example.com", purpose: "login", metadata: { userId: 7 } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(["channel", "context", "expiresAt", "id", "sessionExpiresAt", "status"]);
    expect(body).toMatchObject({ status: "pending", channel: "email" });
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const code = server.codeFor("start@example.com");
    expect(response.body).not.toContain(code);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers bad identifiers with a stable code", async () => {
    const response = await start({ identifier: "not an address", purpose: "login" });
    expect(response.statusCode).toBe(400);
    expect(response.json().error_code).toBe("INVALID_IDENTIFIER");
  });
});

describe("POST /v1/verifications/check", () => {
  it("refuses a wrong code with an updated context, approves the right one once", async () => {
    const { context } = (await start({ identifier: "check@example.com", purpose: "login", metadata: { userId: 7 } })).json();
    const code = server.codeFor("check@example.com");
    const miss = await call("check", { context, code: wrong(code), purpose: "login" });
    expect(miss.statusCode).toBe(400);
    expect(miss.json()).toMatchObject({ error_code: "INVALID_OTP", error: "Invalid OTP.", attempts_remaining: 2 });
    expect(typeof miss.json().context).toBe("string");

    const hit = await call("check", { context: miss.json().context, code, purpose: "login", identifier: "CHECK@example.com" });
    expect(hit.statusCode).toBe(200);
    expect(hit.json()).toEqual({
      status: "approved",
      id: expect.any(String),
      identifier: "check@example.com",
      purpose: "login",
      metadata: { userId: 7 },
    });

    const replay = await call("check", { context, code, purpose: "login" });
    expect(replay.statusCode).toBe(410);
    expect(replay.json().error_code).toBe("ALREADY_USED");
  });

  it("binds the purpose and identifier when the body names them", async () => {
    const { context } = (await start({ identifier: "bind@example.com", purpose: "login" })).json();
    const code = server.codeFor("bind@example.com");
    expect((await call("check", { context, code, purpose: "payment" })).json().error_code).toBe("CONTEXT_MISMATCH");
    expect((await call("check", { context, code, purpose: "login", identifier: "other@example.com" })).json().error_code).toBe(
      "CONTEXT_MISMATCH",
    );
  });

  it("answers 429 after the attempts are used, even for the right code", async () => {
    const { context } = (await start({ identifier: "max@example.com", purpose: "login" })).json();
    const code = server.codeFor("max@example.com");
    for (let i = 0; i < 3; i++) await call("check", { context, code: wrong(code), purpose: "login" });
    const response = await call("check", { context, code, purpose: "login" });
    expect(response.statusCode).toBe(429);
    expect(response.json().error_code).toBe("MAX_RETRIES_EXCEEDED");
  });

  it("calls missing or mistyped code, context and purpose MISSING_FIELDS", async () => {
    for (const body of [
      { context: "x", purpose: "login" },
      { code: "123456", purpose: "login" },
      { code: 123456, context: "abc", purpose: "login" },
      { code: "123456", context: null, purpose: "login" },
      { code: "123456", context: "abc" },
      { code: "123456", context: "abc", purpose: 7 },
    ]) {
      const response = await call("check", body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error_code).toBe("MISSING_FIELDS");
    }
  });

  it("refuses a tampered context and a context over 10 KB", async () => {
    const { context } = (await start({ identifier: "tamper@example.com", purpose: "login" })).json();
    const flipped = context.slice(0, 20) + (context[20] === "A" ? "B" : "A") + context.slice(21);
    expect((await call("check", { context: flipped, code: "123456", purpose: "login" })).json().error_code).toBe("INVALID_CONTEXT");
    const big = await call("check", { context: "A".repeat(11 * 1024), code: "123456", purpose: "login" });
    expect(big.statusCode).toBe(413);
    expect(big.json().error_code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("resend and cancel", () => {
  it("resends: a new context, the old code stops working, the failure budget carries over", async () => {
    const first = (await start({ identifier: "resend@example.com", purpose: "login" })).json();
    const oldCode = server.codeFor("resend@example.com");
    const miss = (await call("check", { context: first.context, code: wrong(oldCode), purpose: "login" })).json();
    expect(miss.attempts_remaining).toBe(2);

    const resent = await call("resend", { context: miss.context });
    expect(resent.statusCode).toBe(201);
    const second = resent.json();
    expect(second.status).toBe("pending");
    expect(second.context).not.toBe(first.context);
    const newCode = server.codeFor("resend@example.com");

    expect((await call("check", { context: first.context, code: oldCode, purpose: "login" })).json().error_code).toBe("CANCELED");
    const again = (await call("check", { context: second.context, code: wrong(newCode), purpose: "login" })).json();
    expect(again).toMatchObject({ error_code: "INVALID_OTP", attempts_remaining: 1 });
    expect((await call("check", { context: second.context, code: newCode, purpose: "login" })).statusCode).toBe(200);
  });

  it("cancels: the code stops working", async () => {
    const { context } = (await start({ identifier: "cancel@example.com", purpose: "login" })).json();
    const code = server.codeFor("cancel@example.com");
    const canceled = await call("cancel", { context });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: "canceled" });
    const check = await call("check", { context, code, purpose: "login" });
    expect(check.statusCode).toBe(410);
    expect(check.json().error_code).toBe("CANCELED");
  });
});

describe("authentication", () => {
  it("answers 401 with a clear body for a missing, malformed or wrong key", async () => {
    for (const authorization of [undefined, "Bearer wrong-key", "Basic dGVzdA==", `Bearer ${"x".repeat(600)}`, "Bearer"]) {
      const response = await server.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: authorization === undefined ? {} : { authorization },
        payload: { identifier: "a@example.com", purpose: "login" },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error_code: "UNAUTHORIZED", error: expect.stringContaining("Authorization: Bearer") });
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    expect(server.outbox.list().some((message) => message.to === "a@example.com")).toBe(false);
  });

  it("refuses every near miss: prefixes, extensions and one-character changes of a real key", async () => {
    const nearMisses = [API_KEY.slice(0, -1), `${API_KEY}x`, API_KEY.toUpperCase()];
    for (let i = 0; i < 300; i++) {
      const at = i % API_KEY.length;
      nearMisses.push(API_KEY.slice(0, at) + String.fromCharCode(33 + (i % 90)) + API_KEY.slice(at + 1));
    }
    const statuses = new Set<number>();
    for (const key of nearMisses) {
      if (key === API_KEY) continue;
      const response = await server.app.inject({
        method: "POST",
        url: "/v1/verifications/cancel",
        headers: { authorization: `Bearer ${key}` },
        payload: { context: "x" },
      });
      statuses.add(response.statusCode);
    }
    expect([...statuses]).toEqual([401]);
  });

  it("accepts every configured key", async () => {
    const response = await server.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: { authorization: "bearer second-key-abcdefghijklmnop" },
      payload: { identifier: "second@example.com", purpose: "login" },
    });
    expect(response.statusCode).toBe(201);
  });
});

describe("bad input is a 4xx with an error code, never a 500", () => {
  const cases: Array<[string, { payload: string | Buffer; contentType?: string }, number, string]> = [
    ["malformed JSON", { payload: '{"identifier": ' }, 400, "INVALID_REQUEST"],
    ["an empty body", { payload: "" }, 400, "INVALID_REQUEST"],
    ["a JSON array", { payload: "[]" }, 400, "INVALID_REQUEST"],
    ["a number for a string", { payload: JSON.stringify({ identifier: 5, purpose: "login" }) }, 400, "INVALID_REQUEST"],
    [
      "an unknown field",
      { payload: JSON.stringify({ identifier: "a@example.com", purpose: "login", admin: true }) },
      400,
      "INVALID_REQUEST",
    ],
    [
      "an unknown client field",
      { payload: JSON.stringify({ identifier: "a@example.com", purpose: "login", client: { ip: "1.2.3.4", x: 1 } }) },
      400,
      "INVALID_REQUEST",
    ],
    [
      "a bad client ip",
      { payload: JSON.stringify({ identifier: "a@example.com", purpose: "login", client: { ip: "999.1.1.1" } }) },
      400,
      "INVALID_REQUEST",
    ],
    ["a bad purpose", { payload: JSON.stringify({ identifier: "a@example.com", purpose: "no spaces" }) }, 400, "INVALID_REQUEST"],
    ["a prototype key", { payload: '{"identifier":"a@example.com","purpose":"login","__proto__":{"x":1}}' }, 400, "INVALID_REQUEST"],
    ["text/plain", { payload: "hello", contentType: "text/plain" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "a body over the limit",
      { payload: JSON.stringify({ identifier: "a@example.com", purpose: "login", metadata: { x: "y".repeat(40_000) } }) },
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    [
      "metadata over 5 KB",
      { payload: JSON.stringify({ identifier: "a@example.com", purpose: "login", metadata: { x: "y".repeat(6_000) } }) },
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    [
      "invalid UTF-8",
      {
        payload: Buffer.concat([
          Buffer.from('{"identifier":"'),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from('@example.com","purpose":"login"}'),
        ]),
      },
      400,
      "INVALID_REQUEST",
    ],
  ];
  for (const [name, request, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const response = await server.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: { ...AUTH, "content-type": request.contentType ?? "application/json" },
        payload: request.payload,
      });
      expect(response.statusCode).toBe(status);
      expect(response.json().error_code).toBe(code);
    });
  }

  it("an unknown route is a JSON 404", async () => {
    const response = await server.app.inject({ method: "GET", url: "/v1/nope", headers: AUTH });
    expect(response.statusCode).toBe(404);
    expect(response.json().error_code).toBe("NOT_FOUND");
  });
});

describe("limits and client info", () => {
  function recordingGuard(refuse = false): Guard & { sends: SendAttempt[]; checks: CheckAttempt[] } {
    const sends: SendAttempt[] = [];
    const checks: CheckAttempt[] = [];
    return {
      sends,
      checks,
      async send(attempt, open) {
        sends.push(attempt);
        if (refuse) throw new OtpError("RATE_LIMITED", { retryAfterSeconds: 42, limit: "ip" });
        await open?.open();
        return { kind: "send" };
      },
      async sendFailed() {},
      async check(attempt, ledger) {
        checks.push(attempt);
        return { result: await ledger.record() };
      },
      async refusedCheck() {},
    };
  }

  it("a rate limit is 429 with Retry-After", async () => {
    const limited = await testServer({ guard: recordingGuard(true) });
    const response = await limited.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "rl@example.com", purpose: "login" },
    });
    expect(response.statusCode).toBe(429);
    expect(response.headers["retry-after"]).toBe("42");
    expect(response.json()).toMatchObject({ error_code: "RATE_LIMITED", retry_after_seconds: 42 });
    await limited.app.close();
  });

  it("takes the client from the body; ignores X-Forwarded-For unless trusted", async () => {
    const guard = recordingGuard();
    const untrusting = await testServer({ guard });
    const headers = { ...AUTH, "x-forwarded-for": "203.0.113.9", "user-agent": "curl/8" };
    await untrusting.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers,
      payload: { identifier: "ip1@example.com", purpose: "login" },
    });
    // Behind no proxy, the connection's address: never the header's, and never no IP at all.
    expect(guard.sends.at(-1)!.client).toEqual({ ip: "127.0.0.1" });
    await untrusting.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers,
      payload: { identifier: "ip2@example.com", purpose: "login", client: { ip: "198.51.100.4", userAgent: "Firefox" } },
    });
    expect(guard.sends.at(-1)!.client).toEqual({ ip: "198.51.100.4", userAgent: "Firefox" });
    await untrusting.app.close();

    const trustedGuard = recordingGuard();
    const trusting = await testServer({ guard: trustedGuard, trustProxy: true });
    await trusting.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers,
      payload: { identifier: "ip3@example.com", purpose: "login" },
    });
    expect(trustedGuard.sends.at(-1)!.client).toEqual({ ip: "203.0.113.9", userAgent: "curl/8" });
    // A body client without an IP keeps the one the trusted proxy reported.
    await trusting.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers,
      payload: { identifier: "ip4@example.com", purpose: "login", client: { userAgent: "Firefox" } },
    });
    expect(trustedGuard.sends.at(-1)!.client).toEqual({ ip: "203.0.113.9", userAgent: "Firefox" });
    await trusting.app.close();
  });

  it("a hop count or a proxy list in OTP_TRUST_PROXY finds each user behind the proxy", async () => {
    // inject() connects from 127.0.0.1, the proxy; the user is the entry the proxy appended last,
    // or, with two trusted hops, the one before it.
    const chain = { ...AUTH, "x-forwarded-for": "198.51.100.7, 203.0.113.9" };
    for (const [trustProxy, expected] of [
      [1, "203.0.113.9"],
      [2, "198.51.100.7"],
      [["127.0.0.1"], "203.0.113.9"],
      [["127.0.0.0/8", "203.0.113.0/24"], "198.51.100.7"],
    ] as const) {
      const guard = recordingGuard();
      const server = await testServer({ guard, trustProxy: trustProxy as TrustProxy });
      await server.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: chain,
        payload: { identifier: "hops@example.com", purpose: "login" },
      });
      expect(guard.sends.at(-1)!.client?.ip, `trustProxy ${JSON.stringify(trustProxy)}`).toBe(expected);
      await server.app.close();
    }
  });
});
