import net from "node:net";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryError, type OtpMessage } from "../../src/contracts/channel.js";
import { smtpChannel, transportOptionsFor } from "../../src/channels/smtp.js";
import { generateKey } from "../../src/core/keyring.js";
import { OtpError } from "../../src/core/errors.js";
import { createOtp } from "../../src/engine/create-otp.js";
import type { OtpEvent } from "../../src/contracts/events.js";
import { parseMail, startSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  cleanups.push(() => server.close());
  return server;
}

/** A TCP server that accepts and then either hangs up at once or never says anything. */
async function brokenServer(behaviour: "hang-up" | "silent"): Promise<{ port: number; connections: () => number; open: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    if (behaviour === "hang-up") return socket.destroy();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections, open: () => sockets.size };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function message(overrides: Partial<OtpMessage> = {}): OtpMessage {
  return {
    id: "ver_1",
    to: "ada@example.com",
    code: "904512",
    purpose: "login",
    codeExpiresAt: new Date(Date.now() + 5 * 60_000),
    ...overrides,
  };
}

function signal(): AbortSignal {
  return new AbortController().signal;
}

async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe("smtpChannel against a real SMTP server", () => {
  it("delivers the code to the recipient with a localised subject and body", async () => {
    const server = await smtpServer();
    const channel = smtpChannel({ url: server.url, from: "Acme <no-reply@acme.example>", appName: "Acme" });
    cleanups.push(() => channel.close!());
    expect(channel.name).toBe("email");
    expect(channel.accepts).toBe("email");

    await channel.deliver(message({ locale: "fr-CA" }), { signal: signal() });

    expect(server.received).toHaveLength(1);
    const [mail] = server.received;
    expect(mail!.to).toEqual(["ada@example.com"]);
    expect(mail!.from).toBe("no-reply@acme.example");
    const parsed = parseMail(mail!.raw);
    expect(parsed.subject).toBe("Votre code de connexion Acme");
    expect(parsed.header("content-language")).toBe("fr");
    expect(parsed.header("auto-submitted")).toBe("auto-generated");
    expect(parsed.text).toContain("Votre code : 904512");
    expect(parsed.text).toContain("Il expire dans 5 minutes.");
    expect(parsed.html).toContain('<html lang="fr">');
    expect(parsed.html).toContain("904512");
  });

  it("uses a transport the application built, and per-purpose templates", async () => {
    const server = await smtpServer();
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: server.port, secure: false, ignoreTLS: true });
    const channel = smtpChannel({
      transport,
      from: "no-reply@acme.example",
      appName: "Acme",
      templates: { payment: { subject: "Confirm the transfer", text: "Code {code}" } },
      otpTokenOrigin: "https://acme.example",
    });
    await channel.deliver(message({ purpose: "payment" }), { signal: signal() });
    const parsed = parseMail(server.received[0]!.raw);
    expect(parsed.header("otp-token")).toBe('"904512"; origin="https://acme.example"');
    expect(parsed.subject).toBe("Confirm the transfer");
    expect(parsed.text.trim()).toBe("Code 904512");
    transport.close();
  });

  it("gives every attempt at one code the same Message-ID, and each code its own", async () => {
    const server = await smtpServer();
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: server.port, secure: false, ignoreTLS: true });
    const channel = smtpChannel({ transport, from: "Acme <no-reply@acme.example>" });
    await channel.deliver(message({ id: "ver_A" }), { signal: signal() });
    await channel.deliver(message({ id: "ver_A" }), { signal: signal() }); // a retry
    await channel.deliver(message({ id: "ver_B" }), { signal: signal() });
    const ids = server.received.map((mail) => parseMail(mail.raw).header("message-id"));
    expect(ids[0]).toBe("<ver_A.otp@acme.example>");
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe("<ver_B.otp@acme.example>");
    transport.close();
  });

  it("authenticates when the server requires it, and bad or missing credentials are permanent", async () => {
    const server = await smtpServer({ auth: { user: "mailer", pass: "s3cret" } });
    const good = smtpChannel({ url: `smtp://mailer:s3cret@127.0.0.1:${server.port}`, from: "no-reply@acme.example" });
    const wrong = smtpChannel({ url: `smtp://mailer:nope@127.0.0.1:${server.port}`, from: "no-reply@acme.example" });
    const none = smtpChannel({ url: server.url, from: "no-reply@acme.example" });
    cleanups.push(
      () => good.close!(),
      () => wrong.close!(),
      () => none.close!(),
    );

    await good.deliver(message(), { signal: signal() });
    expect(server.received.map((mail) => mail.user)).toEqual(["mailer"]);
    await expect(good.health!()).resolves.toBeUndefined();

    const refused = await deliveryError(wrong.deliver(message(), { signal: signal() }));
    expect(refused.retryable).toBe(false);
    expect(refused.message).toBe("SMTP server answered 535 to AUTH PLAIN");
    const unauthenticated = await deliveryError(none.deliver(message(), { signal: signal() }));
    expect(unauthenticated.retryable).toBe(false);
    expect(unauthenticated.message).toMatch(/^SMTP server answered 530/);
    expect(server.received).toHaveLength(1);
  });

  it("reports a rejected recipient as permanent, without the address in the message", async () => {
    const server = await smtpServer({ rejectRecipients: ["ghost@example.com"] });
    const channel = smtpChannel({ url: server.url, from: "no-reply@acme.example" });
    cleanups.push(() => channel.close!());
    const error = await deliveryError(channel.deliver(message({ to: "ghost@example.com" }), { signal: signal() }));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe("SMTP server answered 550 to RCPT TO");
    expect(error.message).not.toContain("ghost");
  });

  it("reports a temporary (4xx) refusal as retryable", async () => {
    const server = await smtpServer({ temporaryFailure: 451 });
    const channel = smtpChannel({ url: server.url, from: "no-reply@acme.example" });
    cleanups.push(() => channel.close!());
    const error = await deliveryError(channel.deliver(message(), { signal: signal() }));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe("SMTP server answered 451 to RCPT TO");
  });

  it("through the engine: a rejected recipient is DELIVERY_FAILED at once, and the verification is revoked", async () => {
    const server = await smtpServer({ rejectRecipients: ["ghost@example.com"] });
    const channel = smtpChannel({ url: server.url, from: "no-reply@acme.example" });
    cleanups.push(() => channel.close!());
    const otp = createOtp({ keys: generateKey(), channels: [channel], delivery: { retries: 3, retryDelayMs: 50 } });
    const events: OtpEvent[] = [];
    otp.on("*", (event) => void events.push(event));

    const error = await otp.start({ identifier: "ghost@example.com", purpose: "login" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OtpError);
    expect((error as OtpError).code).toBe("DELIVERY_FAILED");
    // Permanent: the engine did not retry.
    expect(server.recipientsTried).toEqual(["ghost@example.com"]);
    expect(events.map((event) => event.type)).toEqual(["generated", "delivery_failed"]);
    const id = events[0]!.id!;
    expect((await otp.store.revoke(id)).previous).toBe("revoked");
  });

  it("through the engine: a server that hangs up is retried, then DELIVERY_FAILED in bounded time", async () => {
    const down = await brokenServer("hang-up");
    const channel = smtpChannel({ url: `smtp://127.0.0.1:${down.port}`, from: "no-reply@acme.example" });
    cleanups.push(() => channel.close!());
    const otp = createOtp({ keys: generateKey(), channels: [channel], delivery: { retries: 2, retryDelayMs: 20, timeoutMs: 2000 } });

    const started = performance.now();
    const error = await otp.start({ identifier: "ada@example.com", purpose: "login" }).catch((caught: unknown) => caught);
    const elapsedMs = performance.now() - started;
    expect((error as OtpError).code).toBe("DELIVERY_FAILED");
    expect(((error as OtpError).cause as DeliveryError).retryable).toBe(true);
    expect(down.connections()).toBe(3);
    expect(elapsedMs).toBeLessThan(3000);
  });

  it("a refused connection is retryable", async () => {
    const channel = smtpChannel({ url: `smtp://127.0.0.1:${await closedPort()}`, from: "no-reply@acme.example" });
    cleanups.push(() => channel.close!());
    const error = await deliveryError(channel.deliver(message(), { signal: signal() }));
    expect(error.retryable).toBe(true);
    await expect(channel.health!()).rejects.toBeInstanceOf(DeliveryError);
  });

  it("stops the SMTP conversation when the signal aborts", async () => {
    const silent = await brokenServer("silent");
    const channel = smtpChannel({ url: `smtp://127.0.0.1:${silent.port}`, from: "no-reply@acme.example" });
    cleanups.push(() => channel.close!());
    const controller = new AbortController();
    const delivery = channel.deliver(message(), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(silent.open()).toBe(1);
    const started = performance.now();
    controller.abort();
    const error = await deliveryError(delivery);
    expect(performance.now() - started).toBeLessThan(500);
    expect(error.message).toBe("SMTP delivery aborted");
    // The client hung up: the server sees the socket close.
    await expect.poll(() => silent.open(), { timeout: 2000 }).toBe(0);
  });

  it("requires STARTTLS for plain smtp:// beyond loopback, unless the URL says otherwise", () => {
    expect(transportOptionsFor("smtp://u:p@mail.example.com:587").requireTLS).toBe(true);
    expect(transportOptionsFor("smtp://127.0.0.1:2525").requireTLS).toBe(false);
    expect(transportOptionsFor("smtp://localhost:2525").requireTLS).toBe(false);
    expect(transportOptionsFor("smtps://mail.example.com").requireTLS).toBe(false);
    // The URL's own options win over the defaults.
    const relaxed = nodemailer.createTransport(transportOptionsFor("smtp://mail.example.com:25/?requireTLS=false"));
    expect((relaxed as unknown as { transporter: { options: { requireTLS: boolean } } }).transporter.options.requireTLS).toBe(false);
    relaxed.close();
  });

  it("refuses bad options at construction", () => {
    expect(() => smtpChannel({ from: "a@b.example" } as never)).toThrow(TypeError);
    expect(() => smtpChannel({ url: "http://x", from: "a@b.example" })).toThrow(TypeError);
    expect(() => smtpChannel({ url: "smtp://x", from: "" })).toThrow(TypeError);
    expect(() => smtpChannel({ url: "smtp://x", from: "a@b.example", otpTokenOrigin: "http://acme.example" })).toThrow(TypeError);
    expect(() =>
      smtpChannel({ url: "smtp://x", transport: nodemailer.createTransport({ jsonTransport: true }), from: "a@b.example" }),
    ).toThrow(TypeError);
  });
});
