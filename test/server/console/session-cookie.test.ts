/**
 * What a console session cookie holds and for how long: the idle timeout and the absolute
 * lifetime from the cookie's own times (on a faked clock), the renewed cookie and its attributes,
 * scopes read from the key as configured now, key rotation, and every cookie not sealed by the
 * service's keys for this kind of cookie (tampered, truncated, forged, another key's, a
 * development one) answered as no session.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateKey, parseKeys } from "../../../src/core/keyring.js";
import type { ConsoleOptions } from "../../../src/server/app.js";
import { sealSession } from "../../../src/server/admin/sealed-session.js";
import { apiKeyId } from "../../../src/server/caller.js";
import { memoryStore } from "../../../src/stores/memory.js";
import {
  ADMIN_KEY,
  AUDIT_KEY,
  cookieOf,
  expectError,
  instance,
  readStatus,
  search,
  signIn,
  signOut,
  VERIFY_KEY,
  whoAmI,
} from "./instances.js";

const KEYS = generateKey("k1");
const COOKIE_ATTRIBUTES = /^__Host-otp_console=[A-Za-z0-9_-]{80,256}; Path=\/; HttpOnly; Secure; SameSite=Strict$/;
const store = memoryStore();
const apps: FastifyInstance[] = [];

async function start(options: { keys?: string; console?: ConsoleOptions; apiKeys?: Parameters<typeof instance>[0]["apiKeys"] } = {}) {
  const app = await instance({
    keys: options.keys ?? KEYS,
    store,
    ...(options.apiKeys && { apiKeys: options.apiKeys }),
    console: options.console ?? {},
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const app of apps.splice(0)) await app.close();
});

describe("the idle timeout and the lifetime", () => {
  it("slides the idle clock by re-issuing the cookie; an old copy past the idle time is refused while the new one lives", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const app = await start({ console: { idleTimeoutSeconds: 120 } });
    const first = await signIn(app);
    // Within the renewal step (a quarter of a 120 s idle timeout): no new cookie.
    vi.advanceTimersByTime(10_000);
    const early = await whoAmI(app, first.cookie);
    expect(early.statusCode).toBe(200);
    expect(early.headers["set-cookie"]).toBeUndefined();

    vi.advanceTimersByTime(90_000);
    const used = await whoAmI(app, first.cookie);
    expect(used.statusCode).toBe(200);
    const renewed = String(used.headers["set-cookie"]);
    expect(renewed).toMatch(COOKIE_ATTRIBUTES);
    const second = cookieOf(renewed);
    expect(second).not.toBe(first.cookie);
    // The same session: the same CSRF token, derived from the same id.
    expect(used.json().csrfToken).toBe(first.csrf);

    vi.advanceTimersByTime(100_000);
    expectError(await whoAmI(app, first.cookie), 401, "UNAUTHORIZED");
    expectError(await search(app, first.cookie, first.csrf), 401, "UNAUTHORIZED");
    // /v1 renews too, with the same attributes.
    const through = await search(app, second, first.csrf);
    expect(through.statusCode).toBe(200);
    expect(String(through.headers["set-cookie"])).toMatch(COOKIE_ATTRIBUTES);
    const third = cookieOf(String(through.headers["set-cookie"]));

    vi.advanceTimersByTime(120_000);
    expectError(await readStatus(app, third), 401, "UNAUTHORIZED");
  });

  it("ends a busy session at its absolute lifetime, and not before", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const app = await start({ console: { idleTimeoutSeconds: 900, lifetimeSeconds: 3600 } });
    let { cookie } = await signIn(app);
    for (let minutes = 10; minutes < 60; minutes += 10) {
      vi.advanceTimersByTime(600_000);
      const used = await whoAmI(app, cookie);
      expect(used.statusCode, `${minutes} min`).toBe(200);
      cookie = cookieOf(String(used.headers["set-cookie"]));
    }
    vi.advanceTimersByTime(600_000);
    const ended = await whoAmI(app, cookie);
    expectError(ended, 401, "UNAUTHORIZED");
    expect(String(ended.headers["set-cookie"])).toMatch(/^__Host-otp_console=; Max-Age=0;/);
  });
});

describe("signing out", () => {
  it("ends every copy of the session's cookie, older and renewed alike", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const app = await start();
    const first = await signIn(app);
    vi.advanceTimersByTime(100_000);
    const renewed = cookieOf(String((await whoAmI(app, first.cookie)).headers["set-cookie"]));
    expect(renewed).not.toBe(first.cookie);
    expect((await signOut(app, renewed, first.csrf)).statusCode).toBe(204);
    expectError(await whoAmI(app, first.cookie), 401, "UNAUTHORIZED");
    expectError(await whoAmI(app, renewed), 401, "UNAUTHORIZED");
  });
});

describe("the key behind a session", () => {
  it("takes its scopes from the key as configured now: narrowed, narrowed out of the console, removed", async () => {
    const a = await start();
    const { cookie, csrf } = await signIn(a);
    const lift = { method: "POST" as const, url: "/v1/admin/lockouts/lift", payload: { identifier: "a@example.com", purpose: "login" } };

    const narrowed = await start({ apiKeys: [{ key: ADMIN_KEY, scopes: ["audit"] }] });
    expect((await whoAmI(narrowed, cookie)).json()).toMatchObject({ admin: false, scopes: ["audit"] });
    expect((await search(narrowed, cookie, csrf)).statusCode).toBe(200);
    expectError(await narrowed.inject({ ...lift, headers: { cookie, "x-csrf-token": csrf } }), 403, "INSUFFICIENT_SCOPE");

    const verifyOnly = await start({ apiKeys: [{ key: ADMIN_KEY, scopes: ["verify"] }] });
    expectError(await whoAmI(verifyOnly, cookie), 401, "UNAUTHORIZED");
    expectError(await readStatus(verifyOnly, cookie), 401, "UNAUTHORIZED");

    const removed = await start({ apiKeys: [{ key: AUDIT_KEY, scopes: ["admin"] }] });
    expectError(await whoAmI(removed, cookie), 401, "UNAUTHORIZED");
    expectError(await search(removed, cookie, csrf), 401, "UNAUTHORIZED");

    // The instance that still has the key as it was: unchanged.
    expect((await a.inject({ ...lift, headers: { cookie, "x-csrf-token": csrf } })).statusCode).toBe(200);
  });

  it("never signs in a verify-only key", async () => {
    const app = await start();
    const response = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey: VERIFY_KEY } });
    expectError(response, 403, "INSUFFICIENT_SCOPE");
    expect(response.headers["set-cookie"]).toBeUndefined();
  });

  it("opens a cookie sealed under a key still in OTP_KEYS after a rotation, and none once that key is removed", async () => {
    const before = await start();
    const { cookie, csrf } = await signIn(before);
    const rotated = await start({ keys: `${generateKey("k2")},${KEYS}` });
    expect((await whoAmI(rotated, cookie)).json()).toMatchObject({ csrfToken: csrf, admin: true });
    expect((await search(rotated, cookie, csrf)).statusCode).toBe(200);
    const retired = await start({ keys: generateKey("k2") });
    expectError(await whoAmI(retired, cookie), 401, "UNAUTHORIZED");
    expectError(await search(retired, cookie, csrf), 401, "UNAUTHORIZED");
  });
});

describe("cookies the service did not seal for this use", () => {
  it("answers every forged, truncated, tampered or foreign cookie as no session (401), never 500", async () => {
    const app = await start();
    const { cookie } = await signIn(app);
    const value = cookie.slice(cookie.indexOf("=") + 1);
    const flip = (at: number) => value.slice(0, at) + (value[at] === "A" ? "B" : "A") + value.slice(at + 1);
    const now = Date.now();
    const claims = { id: "AAAAAAAAAAAAAAAAAAAAAA", keyId: apiKeyId(ADMIN_KEY), issuedAtMs: now, lastSeenMs: now, secure: true };
    // Same key id, another secret: what someone without OTP_KEYS can make.
    const forgedKey = parseKeys(generateKey("k1")).sealing;
    const development = await start({ console: { secureCookie: false } });
    const devValue = (await signIn(development)).cookie.split("=")[1]!;
    const otherService = await start({ keys: generateKey("k1") });
    const otherValue = (await signIn(otherService)).cookie.split("=")[1]!;

    const values = [
      flip(1),
      flip(20),
      flip(value.length - 3),
      value.slice(0, -4),
      value.slice(0, 30),
      `${value}AAAA`,
      sealSession(forgedKey, claims),
      otherValue,
      devValue,
      "x".repeat(5000),
      "%ZZ%00",
      "",
    ];
    for (const bad of values) {
      const headers = { cookie: `__Host-otp_console=${bad}` };
      expectError(await app.inject({ method: "GET", url: "/admin/session", headers }), 401, "UNAUTHORIZED");
      expectError(await app.inject({ method: "DELETE", url: "/admin/session", headers }), 401, "UNAUTHORIZED");
      expectError(await search(app, headers.cookie, "x"), 401, "UNAUTHORIZED");
      expectError(await readStatus(app, headers.cookie), 401, "UNAUTHORIZED");
    }
    // A development cookie under its own name is not read in production at all.
    expectError(await whoAmI(app, `otp_console=${devValue}`), 401, "UNAUTHORIZED");
    // Nor a production one in development under the plain name.
    expectError(await whoAmI(development, `otp_console=${value}`), 401, "UNAUTHORIZED");
    expect((await whoAmI(app, cookie)).statusCode).toBe(200);
  });

  it("asks the store nothing for a cookie that does not open: a client without a session cannot make the service write", async () => {
    const app = await start();
    const { cookie } = await signIn(app);
    const value = cookie.slice(cookie.indexOf("=") + 1);
    const advance = vi.spyOn(store, "advance");
    try {
      for (const bad of [value.slice(0, -4), `${value.slice(0, 40)}A${value.slice(41)}`, "x".repeat(200)]) {
        const headers = { cookie: `__Host-otp_console=${bad}` };
        for (let i = 0; i < 20; i++) expectError(await app.inject({ method: "GET", url: "/admin/session", headers }), 401, "UNAUTHORIZED");
        expectError(await search(app, headers.cookie, "x"), 401, "UNAUTHORIZED");
      }
      expect(advance).not.toHaveBeenCalled();
      // A cookie that opens is checked for a sign-out: one mark read.
      expect((await whoAmI(app, cookie)).statusCode).toBe(200);
      expect(advance).toHaveBeenCalledTimes(1);
    } finally {
      advance.mockRestore();
    }
  });
});
