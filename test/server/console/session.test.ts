/**
 * The console's session over HTTP (inject): sign-in with a key that has the `audit` or `admin`
 * scope, the cookie's attributes, the session standing in for the key on /v1 with a CSRF token on
 * every change, the idle timeout, sign-out, the sign-in limit, and the CSP on the page.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryAuditLog } from "../../../src/audit/memory.js";
import { generateKey } from "../../../src/core/keyring.js";
import { createOtp } from "../../../src/engine/create-otp.js";
import { buildServer, type ConsoleOptions } from "../../../src/server/app.js";
import { developmentChannels, Outbox } from "../../../src/server/outbox.js";

const ADMIN_KEY = "console-admin-key-0123456789";
const AUDIT_KEY = "console-audit-key-0123456789";
const VERIFY_KEY = "console-verify-key-012345678";

async function server(console: ConsoleOptions = {}): Promise<FastifyInstance> {
  const otp = createOtp({ keys: generateKey("c1"), channels: developmentChannels(new Outbox(), () => {}), guard: false });
  return buildServer({
    otp,
    apiKeys: [
      { key: ADMIN_KEY, scopes: ["admin"] },
      { key: AUDIT_KEY, scopes: ["audit"] },
      { key: VERIFY_KEY, scopes: ["verify"] },
    ],
    auditLog: memoryAuditLog(),
    console,
  });
}

/** Signs in and returns the Cookie header to send back and the session's CSRF token. */
async function signIn(app: FastifyInstance, apiKey = ADMIN_KEY, ip = "198.51.100.1") {
  const response = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey }, remoteAddress: ip });
  expect(response.statusCode).toBe(201);
  const setCookie = String(response.headers["set-cookie"]);
  return { cookie: setCookie.split(";")[0]!, setCookie, body: response.json() as { csrfToken: string; scopes: string[]; admin: boolean } };
}

const QUERY = { method: "POST" as const, url: "/v1/audit/query", payload: { limit: 5 } };

describe("the console's session", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await app?.close();
  });

  it("signs in an admin key with a Secure, HttpOnly, SameSite=Strict __Host- cookie; the answer holds no key", async () => {
    app = await server();
    const { setCookie, body } = await signIn(app);
    expect(setCookie).toMatch(/^__Host-otp_console=[A-Za-z0-9_-]{80,256}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(body).toMatchObject({ scopes: ["admin"], admin: true, csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(JSON.stringify(body)).not.toContain(ADMIN_KEY);
  });

  it("gives two sign-ins two sessions, ids and tokens", async () => {
    app = await server();
    const first = await signIn(app);
    const second = await signIn(app);
    expect(first.cookie).not.toBe(second.cookie);
    expect(first.body.csrfToken).not.toBe(second.body.csrfToken);
  });

  it("refuses a wrong key (401) and a verify-only key (403), and sets no cookie", async () => {
    app = await server();
    for (const [apiKey, status, code] of [
      ["not-a-configured-key-000000", 401, "UNAUTHORIZED"],
      [VERIFY_KEY, 403, "INSUFFICIENT_SCOPE"],
    ] as const) {
      const response = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey } });
      expect(response.statusCode).toBe(status);
      expect(response.json().error_code).toBe(code);
      expect(response.headers["set-cookie"]).toBeUndefined();
    }
  });

  it("lets the session call /v1 as its key: reads without a token, changes only with the session's token", async () => {
    app = await server();
    const { cookie, body } = await signIn(app);
    // /v1/audit/query is a POST: a change as far as CSRF is concerned.
    const missing = await app.inject({ ...QUERY, headers: { cookie } });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error_code).toBe("CSRF_TOKEN_INVALID");
    const other = await signIn(app);
    const forged = await app.inject({ ...QUERY, headers: { cookie, "x-csrf-token": other.body.csrfToken } });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error_code).toBe("CSRF_TOKEN_INVALID");
    const ok = await app.inject({ ...QUERY, headers: { cookie, "x-csrf-token": body.csrfToken } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ rows: [] });
    // A read needs the session only.
    const status = await app.inject({ method: "GET", url: "/v1/verifications/q3Xw8mJfT0aYc1NnE5rB2g", headers: { cookie } });
    expect(status.statusCode).toBe(404);
  });

  it("gives an audit key's session the audit log only: /v1/verifications answers 403", async () => {
    app = await server();
    const { cookie, body } = await signIn(app, AUDIT_KEY);
    expect(body).toMatchObject({ scopes: ["audit"], admin: false });
    const headers = { cookie, "x-csrf-token": body.csrfToken };
    expect((await app.inject({ ...QUERY, headers })).statusCode).toBe(200);
    const start = await app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers,
      payload: { to: "a@example.com", channel: "email" },
    });
    expect(start.statusCode).toBe(403);
    expect(start.json().error_code).toBe("INSUFFICIENT_SCOPE");
  });

  it("answers 401 on every console route and /v1 call without a session, or with an unknown one", async () => {
    app = await server();
    for (const cookie of [undefined, "__Host-otp_console=made-up-session-id", "otp_console=made-up-session-id"]) {
      const headers = cookie === undefined ? {} : { cookie };
      expect((await app.inject({ method: "GET", url: "/admin/session", headers })).statusCode).toBe(401);
      expect((await app.inject({ method: "DELETE", url: "/admin/session", headers })).statusCode).toBe(401);
      expect((await app.inject({ ...QUERY, headers: { ...headers, "x-csrf-token": "x" } })).statusCode).toBe(401);
      expect((await app.inject({ method: "POST", url: "/v1/audit/export", headers, payload: {} })).statusCode).toBe(401);
    }
  });

  it("answers 403 to a verify-only key on every endpoint the console reads, and 401 on its session routes", async () => {
    app = await server();
    const authorization = `Bearer ${VERIFY_KEY}`;
    const now = Date.now();
    const range = { from: new Date(now - 3_600_000).toISOString(), to: new Date(now).toISOString() };
    for (const [url, payload] of [
      ["/v1/audit/query", {}],
      ["/v1/audit/export", {}],
      ["/v1/audit/stats", range],
    ] as const) {
      const response = await app.inject({ method: "POST", url, headers: { authorization }, payload });
      expect(response.statusCode, url).toBe(403);
      expect(response.json().error_code).toBe("INSUFFICIENT_SCOPE");
    }
    // The session routes know sessions only: a key in a header is no session.
    expect((await app.inject({ method: "GET", url: "/admin/session", headers: { authorization: `Bearer ${ADMIN_KEY}` } })).statusCode).toBe(
      401,
    );
  });

  it("ends the session after the idle timeout, and not before", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    app = await server({ idleTimeoutSeconds: 60 });
    let { cookie } = await signIn(app);
    vi.advanceTimersByTime(59_000);
    const used = await app.inject({ method: "GET", url: "/admin/session", headers: { cookie } });
    expect(used.statusCode).toBe(200);
    // Each use restarts the idle clock: the answer carries the cookie with its new last-seen time.
    cookie = String(used.headers["set-cookie"]).split(";")[0]!;
    vi.advanceTimersByTime(59_000);
    expect((await app.inject({ method: "GET", url: "/admin/session", headers: { cookie } })).statusCode).toBe(200);
    vi.advanceTimersByTime(60_000);
    const ended = await app.inject({ method: "GET", url: "/admin/session", headers: { cookie } });
    expect(ended.statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/v1/verifications/q3Xw8mJfT0aYc1NnE5rB2g", headers: { cookie } })).statusCode).toBe(
      401,
    );
  });

  it("signs out only with the session's CSRF token; afterwards the cookie opens nothing", async () => {
    app = await server();
    const { cookie, body } = await signIn(app);
    const forged = await app.inject({ method: "DELETE", url: "/admin/session", headers: { cookie, "x-csrf-token": "forged" } });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error_code).toBe("CSRF_TOKEN_INVALID");
    const out = await app.inject({ method: "DELETE", url: "/admin/session", headers: { cookie, "x-csrf-token": body.csrfToken } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers["set-cookie"])).toMatch(/^__Host-otp_console=; Max-Age=0;/);
    expect((await app.inject({ method: "GET", url: "/admin/session", headers: { cookie } })).statusCode).toBe(401);
    expect((await app.inject({ ...QUERY, headers: { cookie, "x-csrf-token": body.csrfToken } })).statusCode).toBe(401);
  });

  it("limits sign-in attempts per address (429 with Retry-After), other addresses unaffected", async () => {
    app = await server({ signInLimit: { maxAttempts: 3, windowSeconds: 600 } });
    const attempt = (ip: string) =>
      app!.inject({ method: "POST", url: "/admin/session", payload: { apiKey: "wrong-key-0000000000000" }, remoteAddress: ip });
    for (let i = 0; i < 3; i += 1) expect((await attempt("203.0.113.9")).statusCode).toBe(401);
    const limited = await attempt("203.0.113.9");
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error_code: "RATE_LIMITED", limit: "console_sign_in_per_ip" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    // Even the right key waits: the limit counts attempts, not guesses.
    const right = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey: ADMIN_KEY }, remoteAddress: "203.0.113.9" });
    expect(right.statusCode).toBe(429);
    expect((await attempt("203.0.113.10")).statusCode).toBe(401);
  });

  it("serves the page and its assets with the pages' CSP (no unsafe-inline), and uses a plain cookie in development over HTTP", async () => {
    app = await server({ secureCookie: false });
    for (const url of ["/admin", "/admin/assets/console.js", "/admin/assets/console.css"]) {
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-security-policy"]).toMatch(/default-src 'none'/);
      expect(response.headers["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval/);
    }
    // The page loads its script and style from this origin, nothing else.
    expect((await app.inject({ method: "GET", url: "/admin" })).headers["content-security-policy"]).toContain("script-src 'self'");
    const page = await app.inject({ method: "GET", url: "/admin" });
    expect(page.body).toContain('<script src="/admin/assets/console.js" defer></script>');
    expect(page.body).not.toMatch(/<script>|<style|style=/);
    const { setCookie } = await signIn(app);
    expect(setCookie).toMatch(/^otp_console=[A-Za-z0-9_-]{80,256}; Path=\/; HttpOnly; SameSite=Strict$/);
  });
});
