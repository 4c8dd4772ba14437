/**
 * The service as `otp-actions serve` assembles it from the environment: limits on by default, the
 * audit log beside the ledger, configured channels replacing the development stand-ins.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { verifyWebhookSignature } from "../../src/channels/webhook-signature.js";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { startHttpServer, type TestHttpServer } from "../helpers/http.js";

const API_KEY = "wiring-api-key-0123456789";
const AUTH = { authorization: `Bearer ${API_KEY}` };
const base = { PORT: "0", OTP_KEYS: generateKey("w1"), OTP_API_KEYS: `${API_KEY} verify audit metrics` };

let service: RunningService | undefined;
let webhook: TestHttpServer | undefined;
afterEach(async () => {
  await service?.stop();
  await webhook?.close();
  service = undefined;
  webhook = undefined;
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, OTP_STORE: "memory", ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
    throw error;
  }
  return [];
}

describe("service wiring", () => {
  it("names the variable of a half-configured channel or a bad limit setting", () => {
    expect(problemsOf({ OTP_SMTP_URL: "smtp://127.0.0.1:2525" })).toEqual(["OTP_EMAIL_FROM"]);
    expect(problemsOf({ OTP_TWILIO_ACCOUNT_SID: "AC1", OTP_TWILIO_AUTH_TOKEN: "t" })).toEqual(["OTP_TWILIO_FROM"]);
    expect(problemsOf({ OTP_WEBHOOK_URL: "https://hooks.example.com/otp" })).toEqual(["OTP_WEBHOOK_SECRET"]);
    expect(problemsOf({ OTP_SMS_COUNTRIES: "US,ZZ" })).toEqual(["OTP_SMS_COUNTRIES"]);
    expect(problemsOf({ OTP_RATE_LIMITS: "maybe" })).toEqual(["OTP_RATE_LIMITS"]);
    expect(problemsOf({ OTP_AUDIT_RETENTION_DAYS: "0" })).toEqual(["OTP_AUDIT_RETENTION_DAYS"]);
    expect(problemsOf({ OTP_SMS_COUNTRIES: "us, gb", OTP_RATE_LIMITS: "off" })).toEqual([]);
  });

  it("applies the guard by default: a second send inside the cooldown is 429 with Retry-After", async () => {
    service = await startService(loadConfig({ ...base, OTP_STORE: "memory" }), { say: () => {}, logger: false });
    const send = () =>
      service!.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: AUTH,
        payload: { identifier: "user@example.com", purpose: "login" },
      });
    expect((await send()).statusCode).toBe(201);
    const refused = await send();
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error_code: "RATE_LIMITED", retry_after_seconds: 30, limit: "resend_cooldown" });
    expect(refused.headers["retry-after"]).toBe("30");
  });

  it("OTP_RATE_LIMITS=off leaves only the engine's own limits", async () => {
    service = await startService(loadConfig({ ...base, OTP_STORE: "memory", OTP_RATE_LIMITS: "off" }), { say: () => {}, logger: false });
    for (let i = 0; i < 3; i++) {
      const response = await service.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: AUTH,
        payload: { identifier: "user@example.com", purpose: "login" },
      });
      expect(response.statusCode).toBe(201);
    }
  });

  it("keeps the audit log in audit.db beside the SQLite ledger, flushed on stop, without codes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-wiring-"));
    service = await startService(loadConfig({ ...base, OTP_STORE: `sqlite:${join(dir, "otp.db")}` }), { say: () => {}, logger: false });
    const started = await service.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: { ...AUTH, "x-request-id": "req-start-1" },
      payload: { identifier: "user@example.com", purpose: "login" },
    });
    const { context } = started.json() as { context: string };
    const code = service.outbox!.list()[0]!.code; // newest first
    const checked = await service.app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: AUTH,
      payload: { context, code, purpose: "login" },
    });
    expect(checked.statusCode).toBe(200);
    // Served over HTTP too, once the recorder's batch is written (within its flush interval).
    await service.audit.flush();
    const read = await service.app.inject({
      method: "POST",
      url: "/v1/audit/query",
      headers: AUTH,
      payload: { identifier: "user@example.com" },
    });
    expect(read.statusCode).toBe(200);
    expect((read.json() as { rows: Array<{ action: string }> }).rows.map((row) => row.action).sort()).toEqual([
      "delivered",
      "generated",
      "verified",
    ]);
    await service.stop();
    service = undefined;

    const audit = new Database(join(dir, "audit.db"), { readonly: true });
    try {
      const rows = audit
        .prepare("SELECT action, status, identifier_masked, identifier_hash, trace_id FROM otp_audit ORDER BY at, event_id")
        .all() as Array<Record<string, string>>;
      // Rows of one millisecond have no defined order (the event ids' tails are random).
      expect(rows.map((row) => row.action).sort()).toEqual(["delivered", "generated", "verified"]);
      // Each row carries the request id of the call that caused it, as the response said.
      expect(started.headers["x-request-id"]).toBe("req-start-1");
      expect(rows.filter((row) => row.action !== "verified").map((row) => row.trace_id)).toEqual(["req-start-1", "req-start-1"]);
      expect(rows.find((row) => row.action === "verified")!.trace_id).toBe(checked.headers["x-request-id"]);
      expect(rows.every((row) => row.identifier_masked === "u***@example.com" && /^[A-Za-z0-9_-]{22}$/.test(row.identifier_hash!))).toBe(
        true,
      );
      const everything = JSON.stringify(audit.prepare("SELECT * FROM otp_audit").all());
      expect(everything).not.toContain(code);
      expect(everything).not.toContain("user@example.com");
    } finally {
      audit.close();
    }
  });

  it("serves Prometheus metrics behind the API key, without identifiers or codes", async () => {
    service = await startService(loadConfig({ ...base, OTP_STORE: "memory" }), { say: () => {}, logger: false });
    await service.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "user@example.com", purpose: "login" },
    });
    const refused = await service.app.inject({ method: "GET", url: "/metrics" });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers["cache-control"]).toBe("no-store");
    const metrics = await service.app.inject({ method: "GET", url: "/metrics", headers: AUTH });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers["cache-control"]).toBe("no-store");
    expect(metrics.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toMatch(/otp_events_total\{[^}]*type="generated"[^}]*\} 1/);
    expect(metrics.body).not.toContain("user@example.com");
    // Digits as a whole value, not a substring of some other number.
    expect(metrics.body).not.toMatch(new RegExp(`(?<![0-9.])${service.outbox!.list()[0]!.code}(?![0-9])`));
  });

  it("delivers through a configured webhook instead of the development stand-in", async () => {
    webhook = await startHttpServer(() => ({ status: 204 }));
    const secret = "webhook-secret-0123456789";
    service = await startService(
      loadConfig({ ...base, OTP_STORE: "memory", OTP_WEBHOOK_URL: `${webhook.url}/otp`, OTP_WEBHOOK_SECRET: secret }),
      {
        say: () => {},
        logger: false,
      },
    );
    const response = await service.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "user@example.com", purpose: "login", channel: "webhook" },
    });
    expect(response.statusCode).toBe(201);
    expect(webhook.requests).toHaveLength(1);
    const request = webhook.requests[0]!;
    expect(verifyWebhookSignature(secret, String(request.headers["x-otp-signature"]), request.body)).toBe(true);
    expect(JSON.parse(request.body)).toMatchObject({ to: "user@example.com", purpose: "login" });
  });
});
