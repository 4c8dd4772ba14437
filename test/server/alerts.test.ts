/**
 * Alerts: rules on the audit log's counts, evaluated on the service's clock; a change posted to a
 * local receiver, signed as the webhook channel signs, retried; the rules editable by an admin.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { verifyWebhookSignature } from "../../src/channels/webhook-signature.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { Alerter } from "../../src/server/alerts/alerter.js";
import { buildServer } from "../../src/server/app.js";
import { auditRecord } from "../helpers/audit-records.js";

const SECRET = "alert-secret-0123456789";
const T0 = Date.UTC(2026, 0, 1, 12);
const received: Array<{ body: string; signature: string | undefined }> = [];
let failNext = 0;
let receiver: Server;
let url: string;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push({ body, signature: request.headers["x-otp-signature"] as string | undefined });
      response.statusCode = failNext-- > 0 ? 503 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe("an alert rule on failed checks", () => {
  it("fires once on a spike, posts a signed body (after a retry), and resolves when the window passes", async () => {
    const log = memoryAuditLog();
    let now = T0;
    const alerter = new Alerter({
      log,
      now: () => now,
      rules: [{ name: "failed-spike", kind: "failed_checks", windowSeconds: 300, threshold: 5 }],
      webhook: { url, secrets: [SECRET] },
      retryDelayMs: 10,
    });
    const failed = (count: number, atMs: number) =>
      log.append(Array.from({ length: count }, () => auditRecord({ action: "failed", status: "INVALID_OTP", at: new Date(atMs) })));
    await failed(5, T0 - 1000);
    await alerter.evaluate();
    expect(alerter.firing()).toEqual([]);
    expect(received).toHaveLength(0);

    await failed(1, T0 - 500);
    failNext = 1;
    await alerter.evaluate();
    expect(alerter.firing()).toEqual([expect.objectContaining({ name: "failed-spike", value: 6, since: new Date(T0).toISOString() })]);
    expect(received).toHaveLength(2);
    const posted = received[1]!;
    expect(received[0]!.body).toBe(posted.body);
    expect(verifyWebhookSignature(SECRET, posted.signature, posted.body)).toBe(true);
    expect(verifyWebhookSignature("another-secret-0123456789", posted.signature, posted.body)).toBe(false);
    expect(JSON.parse(posted.body)).toMatchObject({ type: "alert.firing", alert: { name: "failed-spike", value: 6 } });

    // Still above the threshold: it fires on, and nothing more is posted.
    now = T0 + 60_000;
    await alerter.evaluate();
    expect(received).toHaveLength(2);

    // The spike leaves the window: resolved, once.
    now = T0 + 300_000;
    await alerter.evaluate();
    await alerter.evaluate();
    expect(alerter.firing()).toEqual([]);
    expect(received).toHaveLength(3);
    expect(JSON.parse(received[2]!.body)).toMatchObject({ type: "alert.resolved", alert: { name: "failed-spike", value: 0 } });
    expect(verifyWebhookSignature(SECRET, received[2]!.signature, received[2]!.body)).toBe(true);
  });

  it("counts a channel's failure rate and its sends against a budget", async () => {
    const log = memoryAuditLog();
    const alerter = new Alerter({
      log,
      now: () => T0,
      rules: [
        { name: "sms-failing", kind: "delivery_failure_rate", channel: "sms", windowSeconds: 600, threshold: 0.5 },
        { name: "sms-budget", kind: "sms_budget", channel: "sms", windowSeconds: 3600, budget: 10, threshold: 0.8 },
      ],
    });
    const at = new Date(T0 - 1000);
    await log.append([
      ...Array.from({ length: 8 }, () => auditRecord({ action: "generated", channel: "sms", at })),
      ...Array.from({ length: 3 }, () => auditRecord({ action: "delivery_failed", status: "DELIVERY_FAILED", channel: "sms", at })),
      auditRecord({ action: "delivered", status: "delivered", channel: "sms", at }),
      ...Array.from({ length: 9 }, () => auditRecord({ action: "delivered", status: "delivered", channel: "email", at })),
    ]);
    await alerter.evaluate();
    expect(alerter.firing().map((alert) => [alert.name, alert.value])).toEqual([
      ["sms-failing", 0.75],
      ["sms-budget", 0.8],
    ]);
  });
});

describe("/v1/admin/alerts", () => {
  const ADMIN = "admin-key-0123456789abcdef";
  const VERIFY = "verify-only-key-0123456789";
  it("reads and replaces the rules, refuses rules that do not hold together, and lists what fires; admin only", async () => {
    const log = memoryAuditLog();
    const alerter = new Alerter({ log, now: () => T0, rules: [{ name: "lockouts", kind: "lockouts", windowSeconds: 600, threshold: 0 }] });
    const otp = createOtp({ keys: generateKey("al"), guard: false });
    const app = await buildServer({
      otp,
      apiKeys: [
        { key: ADMIN, scopes: ["admin"] },
        { key: VERIFY, scopes: ["verify"] },
      ],
      alerter,
    });
    const call = (method: "GET" | "PUT", path: string, key = ADMIN, payload?: unknown) =>
      app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${key}` },
        ...(payload !== undefined && { payload: payload as object }),
      });
    try {
      // With nowhere to keep them, the answer says the rules are not durable.
      expect((await call("GET", "/v1/admin/alerts")).json()).toEqual({
        rules: [{ name: "lockouts", kind: "lockouts", windowSeconds: 600, threshold: 0 }],
        durable: false,
        source: "configuration",
      });
      expect((await call("GET", "/v1/admin/alerts", VERIFY)).statusCode).toBe(403);
      expect((await call("PUT", "/v1/admin/alerts", VERIFY, { rules: [] })).statusCode).toBe(403);

      const noChannel = await call("PUT", "/v1/admin/alerts", ADMIN, {
        rules: [{ name: "b", kind: "sms_budget", windowSeconds: 60, threshold: 0.5 }],
      });
      expect([noChannel.statusCode, noChannel.json().error_code]).toEqual([400, "INVALID_REQUEST"]);
      const twice = { name: "x", kind: "lockouts", windowSeconds: 60, threshold: 1 };
      expect((await call("PUT", "/v1/admin/alerts", ADMIN, { rules: [twice, twice] })).statusCode).toBe(400);
      expect((await call("PUT", "/v1/admin/alerts", ADMIN, { rules: [{ ...twice, kind: "nope" }] })).statusCode).toBe(400);

      const rules = [{ name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 1 }];
      expect((await call("PUT", "/v1/admin/alerts", ADMIN, { rules })).json()).toEqual({ rules, durable: false, source: "memory" });
      await log.append([1, 2].map(() => auditRecord({ action: "rate_limited", status: "LOCKED_OUT", at: new Date(T0 - 10) })));
      await alerter.evaluate();
      const firing = (await call("GET", "/v1/admin/alerts/firing")).json();
      expect(firing).toEqual({ firing: [{ name: "lockout-spike", rule: rules[0], value: 2, since: new Date(T0).toISOString() }] });
    } finally {
      await app.close();
    }
  });
});
