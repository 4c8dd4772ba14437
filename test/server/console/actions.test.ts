/**
 * The operator's actions through a console session (inject): an admin session lifts a lockout
 * and cancels a verification with its CSRF token, and the audit rows name its key's id; a
 * read-only (audit) session gets 403; a missing or forged token changes nothing.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_KEY, AUDIT_KEY, BOB_E164, BOB_NATIONAL, CLIENT, type ConsoleService, consoleService, traffic } from "./service.js";

async function signIn(app: FastifyInstance, apiKey: string) {
  const response = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey } });
  expect(response.statusCode).toBe(201);
  return { cookie: String(response.headers["set-cookie"]).split(";")[0]!, csrf: (response.json() as { csrfToken: string }).csrfToken };
}

describe("the operator's actions through a console session", () => {
  let service: ConsoleService | undefined;
  afterEach(async () => {
    await service?.app.close();
  });

  it("lifts a lockout only for an admin session with its CSRF token, and the audit row names the key", async () => {
    service = await consoleService();
    await traffic(service);
    const lift = { method: "POST" as const, url: "/v1/admin/lockouts/lift", payload: { identifier: BOB_NATIONAL, purpose: "login" } };
    const reader = await signIn(service.app, AUDIT_KEY);
    const readOnly = await service.app.inject({ ...lift, headers: { cookie: reader.cookie, "x-csrf-token": reader.csrf } });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().error_code).toBe("INSUFFICIENT_SCOPE");
    const admin = await signIn(service.app, ADMIN_KEY);
    for (const token of [undefined, reader.csrf, "forged"]) {
      const refused = await service.app.inject({ ...lift, headers: { cookie: admin.cookie, ...(token && { "x-csrf-token": token }) } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error_code).toBe("CSRF_TOKEN_INVALID");
    }
    // Still locked: nothing above lifted anything.
    const locked = await service.api("/verifications", { identifier: BOB_NATIONAL, purpose: "login", channel: "sms", client: CLIENT });
    const stillLocked = await service.api("/verifications/check", {
      context: locked.body.context,
      code: service.codeFor(BOB_E164),
      purpose: "login",
      client: CLIENT,
    });
    expect([locked.body.error_code, stillLocked.body.error_code], JSON.stringify(locked.body)).toContain("RATE_LIMITED");

    const lifted = await service.app.inject({ ...lift, headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf } });
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ status: "unlocked", lifted: true });
    const fresh = await service.api("/verifications", { identifier: BOB_NATIONAL, purpose: "login", channel: "sms", client: CLIENT });
    const approved = await service.api("/verifications/check", {
      context: fresh.body.context,
      code: service.codeFor(BOB_E164),
      purpose: "login",
      client: CLIENT,
    });
    expect(approved.status).toBe(200);

    await service.flushAudit();
    const rows = (await service.api("/audit/query", { identifier: BOB_E164, action: "unlocked" })).body.rows as Array<{ actor: string }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor).toMatch(/^key_[A-Za-z0-9_-]{12}$/);
    expect(rows[0]!.actor).not.toContain(ADMIN_KEY);
  });

  it("cancels a verification by id for an admin session; a read-only one gets 403", async () => {
    service = await consoleService();
    const started = await service.api("/verifications", { identifier: "erin@example.com", purpose: "login", channel: "email" });
    const url = `/v1/admin/verifications/${started.body.id as string}/cancel`;
    const reader = await signIn(service.app, AUDIT_KEY);
    expect(
      (await service.app.inject({ method: "POST", url, headers: { cookie: reader.cookie, "x-csrf-token": reader.csrf } })).statusCode,
    ).toBe(403);
    const admin = await signIn(service.app, ADMIN_KEY);
    expect((await service.app.inject({ method: "POST", url, headers: { cookie: admin.cookie } })).statusCode).toBe(403);
    const canceled = await service.app.inject({ method: "POST", url, headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf } });
    expect(canceled.statusCode).toBe(200);
    const check = await service.api("/verifications/check", {
      context: started.body.context,
      code: service.codeFor("erin@example.com"),
      purpose: "login",
    });
    expect(check.body.error_code).toBe("CANCELED");
  });
});
