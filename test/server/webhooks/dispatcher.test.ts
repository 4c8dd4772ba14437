import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../../src/channels/webhook-signature.js";
import type { OtpEvent, OtpEventType } from "../../../src/contracts/events.js";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "../../../src/server/webhooks/dispatcher.js";
import { webhooksCheck } from "../../../src/server/webhooks/health-check.js";
import { webhookMetrics } from "../../../src/server/webhooks/metrics.js";
import { fileSpool, type SpooledJob } from "../../../src/server/webhooks/spool.js";
import type { WebhookSubscription } from "../../../src/server/webhooks/subscription.js";
import { closedPort, startReceiver, type Answer, type Receiver, type Received } from "../../helpers/webhook-receiver.js";

const SECRET = "webhook-subscriber-secret-0123";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function subscription(url: string, extra: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return { url: new URL(url), secrets: [SECRET], events: ["*"], includeIdentifier: false, ...extra };
}

function event(type: OtpEventType, id: string): OtpEvent {
  return { type, id, purpose: "login", identifier: "a***@example.com", identifierHash: "hash", channel: "email", at: Date.now() };
}

async function receiver(answer?: (request: Received) => Answer | Promise<Answer>, port?: number): Promise<Receiver> {
  const started = await startReceiver(answer, port);
  cleanups.push(() => started.close());
  return started;
}

function dispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const made = new WebhookDispatcher({ baseDelayMs: 10, timeoutMs: 2000, ...options });
  cleanups.push(() => made.close(0));
  return made;
}

async function until(condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const LIFE: OtpEventType[] = ["generated", "failed", "succeeded"];
const LIFE_TYPES = ["verification.started", "verification.failed", "verification.approved"];

describe("webhook delivery", () => {
  it("sends each verification's events in order, even across retries, and different verifications in parallel", async () => {
    const attempts = new Map<string, number>();
    const inFlight = new Set<string>();
    let overlapped = false;
    const target = await receiver(async ({ json }) => {
      const verification = json.data.verificationId;
      if (inFlight.has(verification)) overlapped = true;
      inFlight.add(verification);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25));
      inFlight.delete(verification);
      const seen = (attempts.get(json.id) ?? 0) + 1;
      attempts.set(json.id, seen);
      // Every start fails once: its retry must still come before the verification's next event.
      return { status: json.type === "verification.started" && seen === 1 ? 500 : 200 };
    });
    const sender = dispatcher({ subscriptions: [subscription(target.url)], concurrency: 4 });
    const ids = ["v1", "v2", "v3", "v4", "v5", "v6"];
    for (const type of LIFE) for (const id of ids) sender.publish(event(type, id));
    await until(() => sender.status().delivered === ids.length * 3);

    for (const id of ids) {
      const types = target.received.filter(({ json }) => json.data.verificationId === id).map(({ json }) => json.type);
      expect(types).toEqual(["verification.started", ...LIFE_TYPES]);
    }
    expect(overlapped).toBe(false);
    expect(target.concurrent.max).toBeGreaterThan(1);
    expect(target.concurrent.max).toBeLessThanOrEqual(4);
    expect(sender.status()).toMatchObject({ delivered: 18, retries: 6, failed: 0, queued: 0 });
  });

  it("retries after a 500 with the same event id, each attempt signed by the documented recipe", async () => {
    const target = await receiver(() => ({ status: target.received.length === 1 ? 500 : 200 }));
    const sender = dispatcher({ subscriptions: [subscription(target.url)] });
    sender.publish(event("succeeded", "v-retry"));
    await until(() => sender.status().delivered === 1);
    expect(target.received).toHaveLength(2);
    const [first, second] = target.received as [Received, Received];
    expect(second.headers["x-otp-event-id"]).toBe(first.headers["x-otp-event-id"]);
    expect(second.json.id).toBe(first.json.id);
    expect(first.json.id).toBe(first.headers["x-otp-event-id"]);
    for (const request of target.received) {
      expect(verifyWebhookSignature(SECRET, request.headers["x-otp-signature"] as string, request.body)).toBe(true);
      expect(verifyWebhookSignature("another-secret-0123456789", request.headers["x-otp-signature"] as string, request.body)).toBe(false);
    }
    expect(sender.status()).toMatchObject({ delivered: 1, retries: 1, failed: 0 });
  });

  it("waits as long as Retry-After says", async () => {
    const target = await receiver(() =>
      target.received.length === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 },
    );
    const sender = dispatcher({ subscriptions: [subscription(target.url)] });
    sender.publish(event("generated", "v-429"));
    await until(() => sender.status().delivered === 1);
    const [first, second] = target.received as [Received, Received];
    expect(second.atMs - first.atMs).toBeGreaterThanOrEqual(950);
  });

  it("gives up after its bound, and at once on a 4xx or a redirect, which it never follows", async () => {
    const down = await receiver(({ path }) => {
      if (path.startsWith("/hooks/gone")) return { status: 400 };
      if (path.endsWith("/moved")) return { status: 302, headers: { location: `${down.url}/elsewhere` } };
      return { status: 503 };
    });
    const logged: unknown[] = [];
    const sender = dispatcher({
      subscriptions: [subscription(down.url), subscription(`${down.url}/gone?token=path-secret`), subscription(`${down.url}/moved`)],
      maxAttempts: 3,
      log: { warn: (fields, message) => logged.push({ fields, message }) },
    });
    sender.publish(event("succeeded", "v-bound"));
    await until(() => sender.status().failed === 3);
    const paths = down.received.map(({ path }) => path);
    expect(paths.filter((path) => path === "/hooks")).toHaveLength(3);
    expect(paths.filter((path) => path.startsWith("/hooks/gone"))).toHaveLength(1);
    expect(paths.filter((path) => path === "/hooks/moved")).toHaveLength(1);
    expect(paths.some((path) => path.includes("elsewhere"))).toBe(false);
    expect(sender.status()).toMatchObject({ delivered: 0, failed: 3, retries: 2 });
    // Give-ups are logged by the subscriber's origin, the event and the status: no secret, body or path.
    expect(logged).toHaveLength(3);
    expect(logged).toContainEqual({
      fields: expect.objectContaining({ webhook: new URL(down.url).origin, status: 400, type: "verification.approved" }),
      message: expect.stringContaining("refused"),
    });
    const text = JSON.stringify(logged);
    for (const secret of [SECRET, "path-secret", "a***@example.com", "hash"]) expect(text).not.toContain(secret);
  });

  it("retries an attempt that times out", async () => {
    const target = await receiver(() => (target.received.length === 1 ? { status: 200, delayMs: 1500 } : { status: 200 }));
    const sender = dispatcher({ subscriptions: [subscription(target.url)], timeoutMs: 200 });
    sender.publish(event("succeeded", "v-slow"));
    await until(() => sender.status().delivered === 1);
    expect(target.received).toHaveLength(2);
    expect(sender.status().retries).toBe(1);
  });

  it("sends only the events a subscription lists", async () => {
    const target = await receiver();
    const sender = dispatcher({ subscriptions: [subscription(target.url, { events: ["verification.approved", "factor.*"] })] });
    for (const type of [...LIFE, "locked_out", "delivery_failed", "exhausted", "revoked"] as OtpEventType[])
      sender.publish(event(type, "v-some"));
    await until(() => sender.status().delivered === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(target.received.map(({ json }) => json.type)).toEqual(["verification.approved"]);
  });

  it("counts what overflows its bound, and shows it in metrics and health", async () => {
    const target = await receiver(() => ({ status: 200, delayMs: 300 }));
    const sender = dispatcher({ subscriptions: [subscription(target.url)], maxQueued: 3 });
    for (let i = 0; i < 5; i++) sender.publish(event("failed", "v-full"));
    expect(sender.status()).toMatchObject({ queued: 3, dropped: 2 });
    expect(webhookMetrics(sender).render()).toContain("\notp_webhook_events_dropped_total 2\n");
    const health = webhooksCheck(sender.status(), Date.now());
    expect(health.degraded).toBe(true);
    expect(health.check).toMatchObject({ ok: true, state: "dropping", dropped: 2 });
    await until(() => sender.status().delivered === 3);
    expect(target.received).toHaveLength(3);
  });
});

describe("webhook spool", () => {
  it("keeps what a shutdown could not send, and sends it in order with the same ids at the next start", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/hooks`;
    const path = join(mkdtempSync(join(tmpdir(), "otp-webhook-spool-")), "spool.json");
    const first = new WebhookDispatcher({ subscriptions: [subscription(url)], spool: fileSpool(path), baseDelayMs: 10 });
    for (const type of LIFE) for (const id of ["s1", "s2"]) first.publish(event(type, id));
    await first.close(100);
    expect(first.status().delivered).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const spooled = (JSON.parse(readFileSync(path, "utf8")) as { jobs: SpooledJob[] }).jobs;
    expect(spooled).toHaveLength(6);
    expect(readFileSync(path, "utf8")).not.toContain(SECRET);

    const target = await receiver(undefined, port);
    const second = dispatcher({ subscriptions: [subscription(url)], spool: fileSpool(path) });
    expect(await second.restore()).toBe(6);
    await until(() => second.status().delivered === 6);
    expect(target.received.map(({ json }) => json.id).sort()).toEqual(spooled.map(({ eventId }) => eventId).sort());
    for (const id of ["s1", "s2"])
      expect(target.received.filter(({ json }) => json.data.verificationId === id).map(({ json }) => json.type)).toEqual(LIFE_TYPES);
    await second.close(100);
    expect(existsSync(path)).toBe(false);
  });
});

describe("an unreadable spool", () => {
  it("is moved aside, not overwritten, and the dispatcher starts without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-webhook-spool-"));
    const path = join(dir, "spool.json");
    writeFileSync(path, "{ not json");
    const warnings: string[] = [];
    const sender = dispatcher({
      subscriptions: [subscription("http://127.0.0.1:9/hooks")],
      spool: fileSpool(path),
      log: { warn: (_fields, message) => warnings.push(message) },
    });
    expect(await sender.restore()).toBe(0);
    expect(warnings).toEqual([expect.stringContaining("could not be read")]);
    expect(existsSync(path)).toBe(false);
    const aside = readdirSync(dir).filter((name) => name.startsWith("spool.json.unreadable-"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), "utf8")).toBe("{ not json");
  });
});
