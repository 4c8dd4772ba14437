/**
 * POST /v1/audit/stats over a service fed by real requests: the counts the engine's events
 * produce, percentiles present, the IP search, the scope, and bad bodies as 400s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { buildServer } from "../../src/server/app.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";
import { AUTH, testServer, wrong, type TestServer } from "../helpers/server.js";

let server: TestServer;
const HOUR_MS = 3_600_000;
const range = () => ({ from: new Date(Date.now() - HOUR_MS).toISOString(), to: new Date(Date.now() + HOUR_MS).toISOString() });

beforeAll(async () => {
  server = await testServer({ audit: memoryAuditLog() });
  for (const identifier of ["ada@example.com", "grace@example.com"]) {
    const started = await server.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier, purpose: "login" },
    });
    const { context } = started.json() as { context: string };
    const code = server.codeFor(identifier);
    await server.app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: AUTH,
      payload: { context, code: wrong(code), purpose: "login" },
    });
    await server.app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: AUTH,
      payload: { context, code, purpose: "login" },
    });
  }
  await server.flushAudit();
});
afterAll(() => server.app.close());

const stats = (payload: unknown, headers: Record<string, string> = AUTH) =>
  server.app.inject({ method: "POST", url: "/v1/audit/stats", headers, payload: payload as Record<string, unknown> });

describe("POST /v1/audit/stats", () => {
  it("answers the counts of what happened, with ISO times and check latencies", async () => {
    const response = await stats({ ...range(), purpose: "login" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const body = response.json();
    expect(body.bucket).toBe("minute");
    expect(body.series).toHaveLength(120);
    expect(body.series[0].at).toBe(body.from);
    expect(body.totals).toEqual({ sent: 2, delivered: 2, deliveryFailed: 0, approved: 2, failedChecks: 2, lockouts: 0, rateLimited: 0 });
    expect(body.conversionRate).toBe(1);
    expect(body.deliveryByChannel).toEqual([{ channel: "email", delivered: 2, failed: 0 }]);
    expect(body.checkLatencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(body.checkLatencyMs.p99).toBeGreaterThanOrEqual(body.checkLatencyMs.p50);
    expect(body.timeToApproveSeconds.p99).toBeGreaterThanOrEqual(0);
    expect(body.topIps).toEqual([{ value: "127.0.0.1", count: 2 }]);
    expect((await stats({ ...range(), purpose: "other" })).json().totals.sent).toBe(0);
  });

  it("refuses bad bodies with 400 INVALID_REQUEST", async () => {
    const { from, to } = range();
    for (const payload of [
      {},
      { from },
      { from: to, to: from },
      { from, to: new Date(Date.now() + 401 * 24 * HOUR_MS).toISOString() },
      { from, to, bucket: "week" },
      { from: new Date(Date.now() - 2 * 24 * HOUR_MS).toISOString(), to, bucket: "minute" },
      { from, to, top: 0 },
      { from, to, top: 51 },
      { from: "yesterday", to },
      { from, to, extra: 1 },
    ]) {
      const response = await stats(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error_code).toBe("INVALID_REQUEST");
    }
  });

  it("needs the API key", async () => {
    expect((await stats(range(), {})).statusCode).toBe(401);
  });
});

describe("the audit scope", () => {
  it("lets an audit key read stats and refuses a verify-only key", async () => {
    const otp = createOtp({ keys: generateKey("s1"), channels: [capturingChannel({ name: "email", accepts: "email" })], guard: false });
    const app = await buildServer({
      otp,
      apiKeys: [
        { key: "verify-only-key-0123456789", scopes: ["verify"] },
        { key: "audit-only-key-0123456789", scopes: ["audit"] },
      ],
      auditLog: memoryAuditLog(),
    });
    try {
      const call = (key: string) =>
        app.inject({ method: "POST", url: "/v1/audit/stats", headers: { authorization: `Bearer ${key}` }, payload: range() });
      expect((await call("audit-only-key-0123456789")).statusCode).toBe(200);
      const refused = await call("verify-only-key-0123456789");
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error_code).toBe("INSUFFICIENT_SCOPE");
    } finally {
      await app.close();
    }
  });
});

describe("POST /v1/audit/query by client IP", () => {
  it("finds the rows of one address exactly", async () => {
    const query = (clientIp: string) =>
      server.app.inject({ method: "POST", url: "/v1/audit/query", headers: AUTH, payload: { clientIp, limit: 1000 } });
    const rows = (await query("127.0.0.1")).json().rows as Array<{ clientIp: string }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.clientIp === "127.0.0.1")).toBe(true);
    expect((await query("127.0.0.2")).json().rows).toEqual([]);
    const csv = await server.app.inject({ method: "POST", url: "/v1/audit/export", headers: AUTH, payload: { clientIp: "127.0.0.2" } });
    expect(csv.body.trimEnd().split("\r\n")).toHaveLength(1);
  });
});
