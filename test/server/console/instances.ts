/**
 * Service instances for the console's session tests: each its own engine and Fastify app on a
 * store and OTP_KEYS the test chooses, so two of them stand for two instances behind a load
 * balancer, or one instance before and after a restart. Driven with `inject()`.
 */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { memoryAuditLog } from "../../../src/audit/memory.js";
import type { LedgerStore } from "../../../src/contracts/ledger.js";
import { createOtp } from "../../../src/engine/create-otp.js";
import type { ApiKeyOption } from "../../../src/server/api-keys.js";
import { buildServer, type ConsoleOptions } from "../../../src/server/app.js";
import { developmentChannels, Outbox } from "../../../src/server/outbox.js";

export const ADMIN_KEY = "shared-console-admin-key-0001";
export const AUDIT_KEY = "shared-console-audit-key-0001";
export const VERIFY_KEY = "shared-console-verify-key-001";

export const API_KEYS: readonly ApiKeyOption[] = [
  { key: ADMIN_KEY, scopes: ["admin"] },
  { key: AUDIT_KEY, scopes: ["audit"] },
  { key: VERIFY_KEY, scopes: ["verify"] },
];

export interface InstanceOptions {
  /** OTP_KEYS: instances that share them open each other's cookies. */
  keys: string;
  store: LedgerStore;
  apiKeys?: readonly ApiKeyOption[];
  console?: ConsoleOptions;
}

/** One instance of the service; closing it leaves the store open (the test owns it). */
export async function instance(options: InstanceOptions): Promise<FastifyInstance> {
  const otp = createOtp({ keys: options.keys, store: options.store, channels: developmentChannels(new Outbox(), () => {}), guard: false });
  return buildServer({ otp, apiKeys: options.apiKeys ?? API_KEYS, auditLog: memoryAuditLog(), console: options.console ?? {} });
}

/** A signed-in session: the Cookie header to send back, the Set-Cookie that made it and the CSRF token. */
export interface SignedIn {
  cookie: string;
  setCookie: string;
  csrf: string;
}

export async function signIn(app: FastifyInstance, apiKey = ADMIN_KEY): Promise<SignedIn> {
  const response = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey } });
  expect(response.statusCode, response.body).toBe(201);
  const setCookie = String(response.headers["set-cookie"]);
  return { cookie: cookieOf(setCookie), setCookie, csrf: (response.json() as { csrfToken: string }).csrfToken };
}

/** The `name=value` part of a Set-Cookie. */
export function cookieOf(setCookie: string): string {
  return setCookie.split(";")[0]!;
}

/** A read through the session (GET /admin/session). */
export function whoAmI(app: FastifyInstance, cookie: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: "GET", url: "/admin/session", headers: { cookie } });
}

/** A state change through the session: an audit search is a POST, so it needs the CSRF token. */
export function search(app: FastifyInstance, cookie: string, csrf: string | undefined): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "POST",
    url: "/v1/audit/query",
    headers: { cookie, ...(csrf !== undefined && { "x-csrf-token": csrf }) },
    payload: { limit: 5 },
  });
}

/** A read of /v1 through the session: 404 for an id nobody issued means the session let it in. */
export function readStatus(app: FastifyInstance, cookie: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: "GET", url: "/v1/verifications/q3Xw8mJfT0aYc1NnE5rB2g", headers: { cookie } });
}

export function signOut(app: FastifyInstance, cookie: string, csrf: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: "DELETE", url: "/admin/session", headers: { cookie, "x-csrf-token": csrf } });
}

/** The one error body, with this code and nothing else of the session in it. */
export function expectError(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  const body = response.json() as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["error", "error_code"]);
  expect(body.error_code).toBe(code);
}
