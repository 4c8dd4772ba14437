import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryError, type OtpMessage } from "../../src/contracts/channel.js";
import { signWebhookPayload, verifyWebhookSignature, webhookChannel, type WebhookPayload } from "../../src/channels/webhook.js";
import type { OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { startHttpServer, type Reply, type TestHttpServer } from "../helpers/http.js";

const SECRET = "whsec_0123456789abcdef";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(reply: Reply | (() => Reply) = { status: 200 }): Promise<TestHttpServer> {
  const server = await startHttpServer(typeof reply === "function" ? reply : () => reply);
  cleanups.push(() => server.close());
  return server;
}

function message(overrides: Partial<OtpMessage> = {}): OtpMessage {
  return {
    id: "ver_abc",
    to: "+14155550123",
    code: "318270",
    purpose: "login",
    locale: "de-AT",
    codeExpiresAt: new Date("2026-01-01T00:05:00.000Z"),
    metadata: { orderId: 7 },
    ...overrides,
  };
}

const signal = () => new AbortController().signal;

describe("webhookChannel over real HTTP", () => {
  it("POSTs the signed JSON payload, which the receiver helper verifies", async () => {
    const server = await receiver({ status: 204 });
    const channel = webhookChannel({ url: `${server.url}/otp`, secret: SECRET, headers: { Authorization: "Bearer t0k" } });
    expect(channel.name).toBe("webhook");
    await channel.deliver(message(), { signal: signal() });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/otp");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers.authorization).toBe("Bearer t0k");
    expect(request!.headers["idempotency-key"]).toBe("ver_abc");
    const payload = JSON.parse(request!.body) as WebhookPayload;
    expect(payload).toEqual({
      id: "ver_abc",
      to: "+14155550123",
      code: "318270",
      purpose: "login",
      locale: "de-AT",
      expiresAt: "2026-01-01T00:05:00.000Z",
      metadata: { orderId: 7 },
    });

    const header = request!.headers["x-otp-signature"] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, header, request!.body)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(request!.body))).toBe(true);
    // The scheme is exactly HMAC-SHA256(secret, `${t}.${body}`), so receivers in any language can check it.
    const t = /t=(\d+)/.exec(header)![1]!;
    expect(header).toContain(`v1=${createHmac("sha256", SECRET).update(`${t}.${request!.body}`).digest("hex")}`);
  });

  it("adds the rendered texts when asked", async () => {
    const server = await receiver();
    const channel = webhookChannel({ url: server.url, secret: SECRET, render: { appName: "Acme", webOtpDomain: "acme.example" } });
    await channel.deliver(message({ codeExpiresAt: new Date(Date.now() + 5 * 60_000) }), { signal: signal() });
    const payload = JSON.parse(server.requests[0]!.body) as WebhookPayload;
    expect(payload.rendered?.locale).toBe("de");
    expect(payload.rendered?.sms).toBe("Ihr Acme-Anmeldecode: 318270. Gültig für 5 Min.\n\n@acme.example #318270");
  });

  it.each([
    [200, null],
    [202, null],
    [400, false],
    [401, false],
    [404, false],
    [410, false],
    [301, false],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
  ])("HTTP %i → %s", async (status, retryable) => {
    const server = await receiver({ status, body: { error: "x" } });
    const channel = webhookChannel({ url: server.url, secret: SECRET });
    const outcome = await channel.deliver(message(), { signal: signal() }).then(
      () => null,
      (error: unknown) => error,
    );
    if (retryable === null) return expect(outcome).toBeNull();
    expect(outcome).toBeInstanceOf(DeliveryError);
    expect((outcome as DeliveryError).retryable).toBe(retryable);
    expect((outcome as DeliveryError).message).toContain(`HTTP ${status}`);
  });

  it("a receiver that is down is retryable", async () => {
    const server = await startHttpServer(() => ({ status: 200 }));
    const url = server.url;
    await server.close();
    const error = await webhookChannel({ url, secret: SECRET })
      .deliver(message(), { signal: signal() })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(true);
  });

  it("aborts the request when the signal fires", async () => {
    const server = await receiver({ status: 200, hang: true });
    const controller = new AbortController();
    const delivery = webhookChannel({ url: server.url, secret: SECRET }).deliver(message(), { signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    const error = await delivery.catch((caught: unknown) => caught);
    expect((error as DeliveryError).message).toBe("webhook request aborted");
    await expect.poll(() => server.requests[0]!.socketClosed(), { timeout: 2000 }).toBe(true);
  });

  it("through the engine: 5xx is retried then DELIVERY_FAILED; 4xx is not retried", async () => {
    const failing = await receiver({ status: 502 });
    const refusing = await receiver({ status: 422 });
    const otp = createOtp({
      keys: generateKey(),
      channels: [
        webhookChannel({ name: "flaky", url: failing.url, secret: SECRET }),
        webhookChannel({ name: "strict", url: refusing.url, secret: SECRET }),
      ],
      delivery: { retries: 2, retryDelayMs: 10 },
      guard: false,
    });
    const first = await otp.start({ identifier: "ada@example.com", purpose: "login", channel: "flaky" }).catch((caught: unknown) => caught);
    expect((first as OtpError).code).toBe("DELIVERY_FAILED");
    expect(failing.requests).toHaveLength(3);
    // Every retry carries the same id, so the receiver can deduplicate.
    expect(new Set(failing.requests.map((request) => request.headers["idempotency-key"])).size).toBe(1);

    const second = await otp
      .start({ identifier: "ada@example.com", purpose: "login", channel: "strict" })
      .catch((caught: unknown) => caught);
    expect((second as OtpError).code).toBe("DELIVERY_FAILED");
    expect(refusing.requests).toHaveLength(1);
  });

  it("refuses bad options at construction", () => {
    expect(() => webhookChannel({ url: "https://hooks.example.com", secret: "short" })).toThrow(TypeError);
    expect(() => webhookChannel({ url: "https://hooks.example.com", secret: [] })).toThrow(TypeError);
    expect(() => webhookChannel({ url: "not a url", secret: SECRET })).toThrow(TypeError);
    expect(() => webhookChannel({ url: "ftp://hooks.example.com", secret: SECRET })).toThrow(TypeError);
    // The payload holds the code: plain http only on loopback unless explicitly allowed.
    expect(() => webhookChannel({ url: "http://hooks.example.com", secret: SECRET })).toThrow(TypeError);
    expect(() => webhookChannel({ url: "http://hooks.example.com", secret: SECRET, allowInsecureHttp: true })).not.toThrow();
    expect(() => webhookChannel({ url: "http://localhost:8080/otp", secret: SECRET })).not.toThrow();
    expect(() => webhookChannel({ url: "http://[::1]:8080/otp", secret: SECRET })).not.toThrow();
    // Names under .localhost are resolved through DNS, which may answer anything.
    expect(() => webhookChannel({ url: "http://hooks.localhost/otp", secret: SECRET })).toThrow(/https/);
    // fetch refuses a URL with credentials: no delivery could ever go.
    expect(() => webhookChannel({ url: "https://hook:s3cret@hooks.example.com/otp", secret: SECRET })).toThrow(/user name or password/);
  });
});

describe("verifyWebhookSignature", () => {
  const body = JSON.stringify({ id: "ver_1", code: "123456" });
  const t = 1_767_225_600;

  it("accepts a fresh signature by the secret", () => {
    expect(verifyWebhookSignature(SECRET, signWebhookPayload(SECRET, body, t), body, 300, t + 299)).toBe(true);
  });

  it("refuses a changed body, another secret, an old or future timestamp, a moved timestamp", () => {
    const header = signWebhookPayload(SECRET, body, t);
    expect(verifyWebhookSignature(SECRET, header, body.replace("123456", "123457"), 300, t)).toBe(false);
    expect(verifyWebhookSignature("whsec_another_secret_value", header, body, 300, t)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, 300, t + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, 300, t - 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header.replace(`t=${t}`, `t=${t + 1}`), body, 300, t)).toBe(false);
  });

  it("supports rotation: several secrets sign, either verifies", () => {
    const header = signWebhookPayload(["whsec_new_secret_value_1", SECRET], body, t);
    expect(header.split(",")).toHaveLength(3);
    expect(verifyWebhookSignature(SECRET, header, body, 300, t)).toBe(true);
    expect(verifyWebhookSignature("whsec_new_secret_value_1", header, body, 300, t)).toBe(true);
    expect(verifyWebhookSignature(["whsec_unrelated_value_9", SECRET], signWebhookPayload(SECRET, body, t), body, 300, t)).toBe(true);
  });

  it("is false, never a throw, for malformed input", () => {
    const good = signWebhookPayload(SECRET, body, t);
    for (const header of [
      undefined,
      null,
      "",
      "t=",
      "v1=abc",
      `v1=${"0".repeat(64)}`,
      `t=${t}`,
      `t=abc,${good.split(",")[1]}`,
      "x".repeat(5000),
      good.replace("v1=", "v2="),
    ]) {
      expect(verifyWebhookSignature(SECRET, header, body, 300, t)).toBe(false);
    }
    expect(verifyWebhookSignature(SECRET, good, 42 as never, 300, t)).toBe(false);
    expect(verifyWebhookSignature("", good, body, 300, t)).toBe(false);
  });
});
