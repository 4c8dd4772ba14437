import { afterEach, describe, expect, it } from "vitest";
import { DeliveryError, type OtpMessage } from "../../src/contracts/channel.js";
import { twilioSmsChannel, type TwilioSmsChannelOptions } from "../../src/channels/twilio.js";
import type { OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { startHttpServer, type RecordedRequest, type Reply, type TestHttpServer } from "../helpers/http.js";

const ACCOUNT = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "auth-token-value";
const SERVICE = "MG0123456789abcdef0123456789abcdef";

/** Numbers the fake Twilio answers specially, as Twilio's magic test numbers do. */
const ANSWERS: Record<string, Reply> = {
  "+15005550001": {
    status: 400,
    body: {
      code: 21211,
      message: "The 'To' number +15005550001 is not a valid phone number.",
      status: 400,
      more_info: "https://www.twilio.com/docs/errors/21211",
    },
  },
  "+15005550004": { status: 400, body: { code: 21610, message: "Attempt to send to unsubscribed recipient", status: 400 } },
  "+15005550009": { status: 400, body: { code: 21614, message: "'To' number is not a valid mobile number", status: 400 } },
  "+14155550429": { status: 429, body: { code: 20429, message: "Too Many Requests", status: 429 } },
  "+14155550500": { status: 500, body: { code: 20500, message: "Internal Server Error", status: 500 } },
  "+14155550502": { status: 502, body: "<html>Bad gateway</html>" },
};

/** A fake Twilio REST API on 127.0.0.1: checks the path and basic auth, answers like Twilio. */
function fakeTwilio(request: RecordedRequest): Reply {
  const expectedAuth = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64")}`;
  if (request.headers.authorization !== expectedAuth) return { status: 401, body: { code: 20003, message: "Authenticate", status: 401 } };
  if (request.method === "GET" && request.path === `/2010-04-01/Accounts/${ACCOUNT}.json`)
    return { status: 200, body: { sid: ACCOUNT, status: "active" } };
  if (request.method !== "POST" || request.path !== `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`)
    return { status: 404, body: { code: 20404, status: 404 } };
  const form = new URLSearchParams(request.body);
  const special = ANSWERS[form.get("To") ?? ""];
  if (special) return special;
  return { status: 201, body: { sid: "SM0123", status: "queued", to: form.get("To"), body: form.get("Body") } };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twilio(): Promise<TestHttpServer> {
  const server = await startHttpServer(fakeTwilio);
  cleanups.push(() => server.close());
  return server;
}

function channelFor(server: TestHttpServer, overrides: Partial<TwilioSmsChannelOptions> = {}) {
  return twilioSmsChannel({
    accountSid: ACCOUNT,
    authToken: TOKEN,
    from: "+15005550006",
    baseUrl: server.url,
    appName: "Acme",
    ...overrides,
  } as TwilioSmsChannelOptions);
}

function message(overrides: Partial<OtpMessage> = {}): OtpMessage {
  return {
    id: "ver_1",
    to: "+14155550123",
    code: "771203",
    purpose: "login",
    codeExpiresAt: new Date(Date.now() + 5 * 60_000),
    ...overrides,
  };
}

const signal = () => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe("twilioSmsChannel against a fake Twilio on loopback", () => {
  it("POSTs a form with To, From and a localised Body ending in the WebOTP line", async () => {
    const server = await twilio();
    const channel = channelFor(server, { webOtpDomain: "acme.example", statusCallback: "https://acme.example/twilio/status" });
    expect(channel.name).toBe("sms");
    expect(channel.accepts).toBe("phone");
    await channel.deliver(message({ locale: "es-MX" }), { signal: signal() });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(request!.body);
    expect(form.get("To")).toBe("+14155550123");
    expect(form.get("From")).toBe("+15005550006");
    expect(form.get("MessagingServiceSid")).toBeNull();
    expect(form.get("StatusCallback")).toBe("https://acme.example/twilio/status");
    expect(form.get("Body")).toBe("Tu clave para entrar en Acme es 771203. Caduca en 5 min.\n\n@acme.example #771203");
  });

  it("sends through a messaging service instead of a number", async () => {
    const server = await twilio();
    await channelFor(server, { from: undefined, messagingServiceSid: SERVICE }).deliver(message(), { signal: signal() });
    const form = new URLSearchParams(server.requests[0]!.body);
    expect(form.get("MessagingServiceSid")).toBe(SERVICE);
    expect(form.get("From")).toBeNull();
  });

  it.each([
    ["+15005550001", false, "Twilio answered HTTP 400, error 21211 (invalid 'To' number)"],
    ["+15005550004", false, "Twilio answered HTTP 400, error 21610 (recipient unsubscribed (STOP))"],
    ["+15005550009", false, "Twilio answered HTTP 400, error 21614 ('To' number is not a mobile number)"],
    ["+14155550429", true, "Twilio answered HTTP 429, error 20429 (too many requests)"],
    ["+14155550500", true, "Twilio answered HTTP 500, error 20500"],
    ["+14155550502", true, "Twilio answered HTTP 502"],
  ])("%s → retryable %s", async (to, retryable, text) => {
    const server = await twilio();
    const error = await failure(channelFor(server).deliver(message({ to }), { signal: signal() }));
    expect(error.retryable).toBe(retryable);
    expect(error.message).toBe(text);
    // Twilio's own text quotes the number; ours does not.
    expect(error.message).not.toContain(to);
  });

  it("refused credentials are permanent, and health() reports them", async () => {
    const server = await twilio();
    const wrong = channelFor(server, { authToken: "wrong" });
    const error = await failure(wrong.deliver(message(), { signal: signal() }));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe("Twilio answered HTTP 401, error 20003 (authentication failed)");
    await expect(wrong.health!()).rejects.toBeInstanceOf(DeliveryError);
    await expect(channelFor(server).health!()).resolves.toBeUndefined();
  });

  it("Twilio unreachable is retryable; an abort stops the request", async () => {
    const down = await startHttpServer(() => ({ status: 201 }));
    await down.close();
    expect((await failure(channelFor(down).deliver(message(), { signal: signal() }))).retryable).toBe(true);

    const hanging = await startHttpServer(() => ({ status: 201, hang: true }));
    cleanups.push(() => hanging.close());
    const controller = new AbortController();
    const delivery = channelFor(hanging).deliver(message(), { signal: controller.signal });
    await expect.poll(() => hanging.requests.length).toBe(1);
    controller.abort();
    expect((await failure(delivery)).message).toBe("Twilio request aborted");
  });

  it("through the engine: an invalid number fails at once; a 5xx is retried", async () => {
    const server = await twilio();
    // No guard: its SMS pumping defences would refuse the test number before the channel sees it.
    const otp = createOtp({
      keys: generateKey(),
      channels: [channelFor(server)],
      delivery: { retries: 2, retryDelayMs: 10 },
      guard: false,
    });
    const events: string[] = [];
    otp.on("*", (event) => void events.push(event.type));
    const invalid = await otp.start({ identifier: "+1 500 555 0001", purpose: "login" }).catch((caught: unknown) => caught);
    expect((invalid as OtpError).code).toBe("DELIVERY_FAILED");
    const sentTo = (to: string) => server.requests.filter((request) => new URLSearchParams(request.body).get("To") === to).length;
    expect(sentTo("+15005550001")).toBe(1);
    expect(events).toEqual(["generated", "delivery_failed"]);

    const busy = await otp.start({ identifier: "+1 415 555 0500", purpose: "login" }).catch((caught: unknown) => caught);
    expect((busy as OtpError).code).toBe("DELIVERY_FAILED");
    expect(sentTo("+14155550500")).toBe(3);

    const ok = await otp.start({ identifier: "+1 (415) 555-0123", purpose: "login" });
    expect(ok.channel).toBe("sms");
    expect(sentTo("+14155550123")).toBe(1);
  });

  it("refuses bad options at construction", () => {
    const base = { accountSid: ACCOUNT, authToken: TOKEN, from: "+15005550006" };
    expect(() => twilioSmsChannel({ ...base, accountSid: "nope" })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, authToken: undefined })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, apiKey: { sid: "SKx", secret: "s" } })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, from: undefined })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, messagingServiceSid: SERVICE })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, baseUrl: "http://api.twilio.com" })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, statusCallback: "not a url" })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, baseUrl: "http://127.0.0.1:9" })).not.toThrow();
    expect(() => twilioSmsChannel({ ...base, baseUrl: "http://api.localhost:9" })).toThrow(TypeError);
    expect(() => twilioSmsChannel({ ...base, baseUrl: "https://user:pass@api.twilio.com" })).toThrow(/user name or password/);
    expect(() => twilioSmsChannel({ accountSid: ACCOUNT, apiKey: { sid: "SKabc", secret: "s" }, from: "Acme" })).not.toThrow();
  });
});
