import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authenticator } from "otplib";
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../../src/channels/webhook-signature.js";
import { generateKey } from "../../../src/core/keyring.js";
import { loadConfig } from "../../../src/server/config.js";
import { startService, type RunningService } from "../../../src/server/service.js";
import { capturingChannel, type CapturingChannel } from "../../../src/testing/capturing-channel.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { closedPort, startReceiver, type Receiver } from "../../helpers/webhook-receiver.js";

const API_KEY = "webhooks-api-key-0123456789";
const SECRET = "events-subscriber-secret-0123";
const OTHER_SECRET = "second-subscriber-secret-0123";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(port?: number): Promise<Receiver> {
  const started = await startReceiver(undefined, port);
  cleanups.push(() => started.close());
  return started;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function settings(dir: string, env: Record<string, string>, file?: Record<string, unknown>) {
  const configFile = file && join(dir, "config.json");
  if (configFile) writeFileSync(configFile, JSON.stringify(file));
  return loadConfig(
    { OTP_STORE: "memory", PORT: "0", OTP_KEYS: KEY, OTP_API_KEYS: `${API_KEY} admin`, OTP_DATA_DIR: dir, ...env },
    configFile ? { configFile } : {},
  );
}
const KEY = generateKey("w1");

async function serve(
  config: ReturnType<typeof loadConfig>,
  store = new MemoryStore(),
): Promise<{ service: RunningService; channel: CapturingChannel }> {
  const channel = capturingChannel({ name: "email", accepts: "email" });
  const service = await startService(config, { say: () => {}, channels: [channel], store, logger: false, webhookDrainMs: 300 });
  cleanups.push(() => service.stop());
  return { service, channel };
}

/** A verification that fails once, then passes: started, failed, approved. */
async function lifeOf(service: RunningService, channel: CapturingChannel, identifier: string): Promise<void> {
  const headers = { authorization: `Bearer ${API_KEY}` };
  const started = await service.app.inject({
    method: "POST",
    url: "/v1/verifications",
    headers,
    payload: { identifier, purpose: "login" },
  });
  expect(started.statusCode).toBe(201);
  const code = channel.lastCodeFor(identifier)!;
  const wrong = code.replace(/^./, (digit) => String((Number(digit) + 1) % 10));
  const miss = await service.app.inject({
    method: "POST",
    url: "/v1/verifications/check",
    headers,
    payload: { context: started.json().context, code: wrong, purpose: "login" },
  });
  expect(miss.statusCode).toBe(400);
  const hit = await service.app.inject({
    method: "POST",
    url: "/v1/verifications/check",
    headers,
    payload: { context: miss.json().context, code, purpose: "login" },
  });
  expect(hit.statusCode).toBe(200);
}

describe("outgoing webhooks in the service", () => {
  it("sends the identifier masked and hashed, and in clear only to a subscription configured for it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-webhooks-"));
    const plain = await receiver();
    const clear = await receiver();
    const config = settings(
      dir,
      { OTP_EVENT_WEBHOOK_URL: plain.url, OTP_EVENT_WEBHOOK_SECRET: SECRET, OTP_EVENT_WEBHOOK_EVENTS: "verification.*" },
      { webhooks: { subscriptions: [{ url: clear.url, secret: OTHER_SECRET, events: ["*"], includeIdentifier: true }] } },
    );
    const { service, channel } = await serve(config);
    await lifeOf(service, channel, "alice@example.com");
    await until(() => plain.received.length === 3 && clear.received.length === 3);

    expect(plain.received.map(({ json }) => json.type)).toEqual(["verification.started", "verification.failed", "verification.approved"]);
    for (const { body, json, headers } of plain.received) {
      expect(body).not.toContain("alice@example.com");
      expect(json.data.identifier).toEqual({ masked: expect.stringContaining("***"), hash: expect.any(String) });
      expect(verifyWebhookSignature(SECRET, headers["x-otp-signature"] as string, body)).toBe(true);
    }
    for (const { json, headers, body } of clear.received) {
      expect(json.data.identifier).toMatchObject({ value: "alice@example.com" });
      expect(verifyWebhookSignature(OTHER_SECRET, headers["x-otp-signature"] as string, body)).toBe(true);
    }
    // One event, one id, whoever receives it.
    expect(clear.received.map(({ json }) => json.id)).toEqual(plain.received.map(({ json }) => json.id));
  });

  it("sends an authenticator app's life to a factor.* subscriber, in order, under the factor's id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-webhooks-"));
    const factors = await receiver();
    const config = settings(dir, {
      OTP_EVENT_WEBHOOK_URL: factors.url,
      OTP_EVENT_WEBHOOK_SECRET: SECRET,
      OTP_EVENT_WEBHOOK_EVENTS: "factor.*",
    });
    const { service, channel } = await serve(config);
    const post = (url: string, payload: object) =>
      service.app.inject({ method: "POST", url, headers: { authorization: `Bearer ${API_KEY}` }, payload });
    const enrolled = (await post("/v1/factors/totp", { account: "ada@example.com", issuer: "Example" })).json();
    const codeAt = (steps: number) => authenticator.clone({ epoch: Date.now() + steps * 30_000 }).generate(enrolled.secret);
    const confirmed = (await post("/v1/factors/totp/confirm", { factor: enrolled.factor, code: codeAt(0) })).json();
    expect((await post("/v1/factors/totp/verify", { factor: confirmed.factor, code: codeAt(1) })).statusCode).toBe(200);
    expect((await post("/v1/factors/totp/verify", { factor: confirmed.factor, code: codeAt(1) })).statusCode).toBe(410);
    const recovery = await post("/v1/factors/totp/recovery-codes", { factor: confirmed.factor });
    expect(recovery.statusCode).toBe(201);
    const { codes } = recovery.json() as { codes: string[] };
    // A one-time code's life is not a factor's: the subscription gets none of it.
    await lifeOf(service, channel, "bob@example.com");
    await until(() => factors.received.length === 5);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(factors.received.map(({ json }) => json.type)).toEqual([
      "factor.enrolled",
      "factor.confirmed",
      "factor.verified",
      "factor.failed",
      "factor.recovery_codes_generated",
    ]);
    for (const { body, json, headers } of factors.received) {
      expect(json.data.verificationId).toBe(enrolled.factorId);
      expect(body).not.toContain(enrolled.secret);
      for (const code of codes) expect(body).not.toContain(code);
      expect(verifyWebhookSignature(SECRET, headers["x-otp-signature"] as string, body)).toBe(true);
    }
  });

  it("counts events dropped at its bound, in /metrics and as degraded in /health/otp", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-webhooks-"));
    const config = settings(dir, {
      OTP_EVENT_WEBHOOK_URL: `http://127.0.0.1:${await closedPort()}/hooks`,
      OTP_EVENT_WEBHOOK_SECRET: SECRET,
      OTP_EVENT_WEBHOOK_EVENTS: "*",
      OTP_EVENT_WEBHOOK_MAX_QUEUED: "10",
    });
    const { service, channel } = await serve(config);
    for (let i = 0; i < 4; i++) await lifeOf(service, channel, `user${i}@example.com`);
    expect(service.webhooks!.dispatcher.status()).toMatchObject({ queued: 10, dropped: 2 });

    const metrics = await service.app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${API_KEY}` } });
    expect(metrics.body).toContain("\notp_webhook_events_dropped_total 2\n");
    expect(metrics.body).toContain("\notp_webhook_events_queued 10\n");
    const health = (await service.app.inject({ method: "GET", url: "/health/otp" })).json();
    expect(health.checks.webhooks).toMatchObject({ ok: true, state: "dropping", dropped: 2, queued: 10 });
    const othersOk = Object.entries(health.checks).every(([name, check]) => name === "webhooks" || (check as { ok: boolean }).ok);
    expect(health.status).toBe(othersOk ? "degraded" : "fail");
  });

  it("loses nothing across a graceful restart with the subscriber down", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-webhooks-"));
    const port = await closedPort();
    const config = settings(dir, {
      OTP_EVENT_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`,
      OTP_EVENT_WEBHOOK_SECRET: SECRET,
      OTP_EVENT_WEBHOOK_EVENTS: "*",
    });
    const store = new MemoryStore();
    const first = await serve(config, store);
    const people = ["p1@example.com", "p2@example.com", "p3@example.com"];
    for (const person of people) await lifeOf(first.service, first.channel, person);
    expect(first.service.webhooks!.dispatcher.status().delivered).toBe(0);
    await first.service.stop();

    const target = await receiver(port);
    const second = await serve(config);
    await until(() => second.service.webhooks!.dispatcher.status().delivered === people.length * 3);
    const byVerification = new Map<string, string[]>();
    for (const { json } of target.received) {
      byVerification.set(json.data.verificationId, [...(byVerification.get(json.data.verificationId) ?? []), json.type]);
    }
    expect([...byVerification.values()]).toEqual(
      people.map(() => ["verification.started", "verification.failed", "verification.approved"]),
    );
    expect(new Set(target.received.map(({ json }) => json.id)).size).toBe(people.length * 3);
  });
});
