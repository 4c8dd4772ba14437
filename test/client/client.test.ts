/**
 * otp-actions/client against the live service (a real HTTP port, the SQLite store, the outbox for
 * codes): every route, the typed errors, and failures that never reach the service.
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOtpClient, isOtpClientError, type OtpClientError, type OtpClient } from "../../src/client/index.js";
import { generateKey } from "../../src/core/keyring.js";
import { newVerificationId } from "../../src/core/token.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { API_KEY, startClientService } from "./client-service.js";
import { closedPort, silentServer, type SilentServer } from "../helpers/network.js";
import { latestCode, wrong } from "../helpers/server.js";

let service: RunningService;
let client: OtpClient;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ service, client, stop } = await startClientService("admin"));
});
afterAll(() => stop?.());

const codeFor = (to: string): string => latestCode(service.outbox!, to);

async function failure(promise: Promise<unknown>): Promise<OtpClientError> {
  try {
    await promise;
  } catch (error) {
    expect(isOtpClientError(error)).toBe(true);
    return error as OtpClientError;
  }
  throw new Error("expected an OtpClientError");
}

/** Everything an error shows in a log line, a debugger or a serialised report. */
function everythingShown(error: OtpClientError): string {
  return [String(error), error.stack, inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)].join("\n");
}

describe("otp-actions/client against the service", () => {
  it("starts, reads the status, checks and reads it approved", async () => {
    const issued = await client.start({ identifier: "flow@example.com", purpose: "login", metadata: { userId: 7 } });
    expect(issued).toMatchObject({ status: "pending", channel: "email", id: expect.any(String), context: expect.any(String) });
    expect(await client.get(issued.id)).toMatchObject({ id: issued.id, status: "pending", attempts: 0, attemptsRemaining: 3 });

    const approved = await client.check({ context: issued.context, code: codeFor("flow@example.com"), purpose: "login" });
    expect(approved).toEqual({
      status: "approved",
      id: issued.id,
      identifier: "flow@example.com",
      purpose: "login",
      metadata: { userId: 7 },
    });
    expect(await client.get(issued.id)).toMatchObject({ status: "approved", attempts: 1 });
  });

  it("throws a wrong code as INVALID_OTP with attemptsRemaining and the next context", async () => {
    const issued = await client.start({ identifier: "wrong@example.com", purpose: "login" });
    const error = await failure(client.check({ context: issued.context, code: wrong(codeFor("wrong@example.com")), purpose: "login" }));
    expect(error).toMatchObject({ name: "OtpClientError", errorCode: "INVALID_OTP", status: 400, attemptsRemaining: 2 });
    expect(typeof error.context).toBe("string");
    expect(error.requestId).toMatch(/\S/);
    await expect(client.check({ context: error.context!, code: codeFor("wrong@example.com"), purpose: "login" })).resolves.toMatchObject({
      status: "approved",
    });
  });

  it("throws a rate limit as RATE_LIMITED with retryAfterSeconds and the limit", async () => {
    await client.start({ identifier: "limited@example.com", purpose: "login" });
    const error = await failure(client.start({ identifier: "limited@example.com", purpose: "login" }));
    expect(error).toMatchObject({ errorCode: "RATE_LIMITED", status: 429, retryAfterSeconds: 30, limit: "resend_cooldown" });
  });

  it("cancels, and reads it canceled", async () => {
    const issued = await client.start({ identifier: "cancel@example.com", purpose: "login" });
    await expect(client.cancel({ context: issued.context })).resolves.toEqual({ id: issued.id, status: "canceled" });
    expect(await client.get(issued.id)).toMatchObject({ status: "canceled", attempts: 0 });
    expect(await failure(client.cancel({ context: "not a context" }))).toMatchObject({ errorCode: "INVALID_CONTEXT", status: 400 });
  });

  it("throws NOT_FOUND for an unknown id and INVALID_REQUEST for a malformed one", async () => {
    expect(await failure(client.get(newVerificationId()))).toMatchObject({ errorCode: "NOT_FOUND", status: 404 });
    expect(await failure(client.get("not/an id"))).toMatchObject({ errorCode: "INVALID_REQUEST", status: 400 });
  });

  it("throws a bad API key as UNAUTHORIZED, and no error shows the key", async () => {
    const badKey = "bad-key-that-must-not-leak-0123456789";
    const bad = createOtpClient({ baseUrl: service.url, apiKey: badKey });
    const error = await failure(bad.get(newVerificationId()));
    expect(error).toMatchObject({ errorCode: "UNAUTHORIZED", status: 401 });
    expect(everythingShown(error)).not.toContain(badKey);
    expect(inspect(bad, { depth: 10, showHidden: true })).not.toContain(badKey);
  });

  it("queries and exports the audit log", async () => {
    const issued = await client.start({ identifier: "audit@example.com", purpose: "login" });
    await service.audit.flush();
    const page = await client.queryAudit({ verificationId: issued.id, identifier: "audit@example.com" });
    expect(page.rows.map((row) => row.action)).toContain("generated");
    expect(page.rows.every((row) => row.verificationId === issued.id)).toBe(true);
    const csv = await client.exportAudit({ identifier: "audit@example.com" });
    expect(csv.split("\n")[0]).toContain("verification_id");
    expect(csv).toContain(issued.id);
  });

  it("searches the audit log by client IP and reads its stats", async () => {
    const issued = await client.start({ identifier: "stats@example.com", purpose: "stats" });
    await client.check({ context: issued.context, code: codeFor("stats@example.com"), purpose: "stats" });
    await service.audit.flush();
    const byIp = await client.queryAudit({ clientIp: "127.0.0.1", purpose: "stats" });
    expect(byIp.rows.map((row) => row.action).sort()).toEqual(["delivered", "generated", "verified"]);
    expect((await client.queryAudit({ clientIp: "192.0.2.1", purpose: "stats" })).rows).toEqual([]);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const stats = await client.auditStats({ from, to, purpose: "stats", bucket: "hour" });
    expect(stats.series).toHaveLength(2);
    expect(stats.series[0]!.at).toBe(from);
    expect(stats.totals).toMatchObject({ sent: 1, delivered: 1, approved: 1, failedChecks: 0 });
    expect(stats.conversionRate).toBe(1);
    expect(stats.checkLatencyMs.p50).toBeGreaterThanOrEqual(0);
    const refused = await failure(client.auditStats({ from: to, to: from }));
    expect(refused).toMatchObject({ errorCode: "INVALID_REQUEST", status: 400 });
  });
});

describe("otp-actions/client resending, on a service without send limits", () => {
  let unlimited: RunningService;
  beforeAll(async () => {
    const config = loadConfig({
      PORT: "0",
      OTP_STORE: "memory",
      OTP_KEYS: generateKey("c2"),
      OTP_API_KEYS: `${API_KEY} admin`,
      OTP_RATE_LIMITS: "off",
    });
    unlimited = await startService(config, { say: () => {}, logger: false });
  });
  afterAll(() => unlimited?.stop());

  it("resends a new code: the old one stops working, the old id reads replaced, the attempts carry over", async () => {
    const resending = createOtpClient({ baseUrl: `${unlimited.url}/`, apiKey: API_KEY });
    const first = await resending.start({ identifier: "resend@example.com", purpose: "login" });
    const oldCode = unlimited.outbox!.list().find((message) => message.to === "resend@example.com")!.code;
    await failure(resending.check({ context: first.context, code: wrong(oldCode), purpose: "login" }));
    const second = await resending.resend({ context: first.context });
    expect(second).toMatchObject({ status: "pending", id: expect.any(String) });
    expect(second.id).not.toBe(first.id);
    expect(await resending.get(first.id)).toMatchObject({ status: "replaced" });
    expect(await resending.get(second.id)).toMatchObject({ status: "pending", attempts: 1, attemptsRemaining: 2 });
    const newCode = unlimited.outbox!.list().find((message) => message.to === "resend@example.com")!.code;
    await expect(resending.check({ context: second.context, code: newCode, purpose: "login" })).resolves.toMatchObject({
      status: "approved",
      id: second.id,
    });
  });
});

describe("otp-actions/client when the service does not answer", () => {
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(() => silent.close());

  it("throws NETWORK_ERROR, status 0, when nothing listens", async () => {
    const apiKey = "network-key-must-not-leak-0123456789";
    const offline = createOtpClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, apiKey });
    const error = await failure(offline.start({ identifier: "x@example.com", purpose: "login" }));
    expect(error).toMatchObject({ errorCode: "NETWORK_ERROR", status: 0 });
    expect(everythingShown(error)).not.toContain(apiKey);
  });

  it("throws TIMEOUT within its bound when the service never answers", async () => {
    const apiKey = "timeout-key-must-not-leak-0123456789";
    const slow = createOtpClient({ baseUrl: `http://127.0.0.1:${silent.port}`, apiKey, timeoutMs: 200 });
    const startedAt = Date.now();
    const error = await failure(slow.get(newVerificationId()));
    expect(error).toMatchObject({ errorCode: "TIMEOUT", status: 0 });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(everythingShown(error)).not.toContain(apiKey);
  });

  it("throws ABORTED when the caller's signal fires", async () => {
    const slow = createOtpClient({ baseUrl: `http://127.0.0.1:${silent.port}`, apiKey: API_KEY });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await failure(slow.get(newVerificationId(), { signal: controller.signal }))).toMatchObject({ errorCode: "ABORTED" });
  });
});
