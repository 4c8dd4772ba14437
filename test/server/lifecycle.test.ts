import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { MemoryStore } from "../../src/stores/memory.js";

const CLI = ["--import", "tsx", "src/cli.ts"];

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** An email channel that takes `ms` to deliver; `started` resolves when a delivery begins. */
function slowChannel(ms: number, delivered: () => void = () => undefined): { slow: Channel; started: Promise<void> } {
  let deliveryStarted!: () => void;
  const started = new Promise<void>((resolve) => (deliveryStarted = resolve));
  const slow: Channel = {
    name: "email",
    accepts: "email",
    async deliver() {
      deliveryStarted();
      await sleep(ms);
      delivered();
    },
  };
  return { slow, started };
}

describe("graceful shutdown", () => {
  it("finishes in-flight requests, then flushes, then closes the store", async () => {
    const order: string[] = [];
    const { slow, started } = slowChannel(300, () => order.push("delivered"));
    const store = new MemoryStore();
    const close = store.close.bind(store);
    store.close = async () => {
      order.push("store closed");
      await close();
    };
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("g1"), OTP_API_KEYS: "lifecycle-api-key-123456" });
    const service = await startService(config, {
      say: () => {},
      channels: [slow],
      store,
      logger: false,
      closers: [async () => void order.push("audit flushed")],
    });
    const inFlight = fetch(`${service.url}/v1/verifications`, {
      method: "POST",
      headers: { authorization: "Bearer lifecycle-api-key-123456", "content-type": "application/json" },
      body: JSON.stringify({ identifier: "slow@example.com", purpose: "login" }),
    });
    // Stop while the request is inside the handler.
    await started;
    const stopped = service.stop();
    const response = await inFlight;
    expect(response.status).toBe(201);
    await stopped;
    expect(order).toEqual(["delivered", "audit flushed", "store closed"]);
    await expect(fetch(`${service.url}/health/otp`)).rejects.toThrow();
  });

  it("a request that arrives once the stop began is refused in the one body shape, with the service's headers", async () => {
    const { slow, started } = slowChannel(400);
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("g1"), OTP_API_KEYS: "lifecycle-api-key-123456" });
    const service = await startService(config, { say: () => {}, channels: [slow], logger: false });
    const url = new URL(service.url);
    // A request in flight holds the stop open while the other one arrives.
    const inFlight = fetch(`${service.url}/v1/verifications`, {
      method: "POST",
      headers: { authorization: "Bearer lifecycle-api-key-123456", "content-type": "application/json" },
      body: JSON.stringify({ identifier: "slow@example.com", purpose: "login" }),
    });
    // A connection with a request begun (not idle, so the stop does not close it) and finished after the stop began.
    const socket = connect(Number(url.port), url.hostname);
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk));
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`GET /v1/verifications/v_late HTTP/1.1\r\nHost: ${url.host}\r\n`);
    await started;
    const stopped = service.stop();
    await sleep(50);
    socket.write("Authorization: Bearer lifecycle-api-key-123456\r\n\r\n");
    expect((await inFlight).status).toBe(201);
    await stopped;
    await new Promise((resolve) => (socket.closed ? resolve(undefined) : socket.once("close", resolve)));
    const [head, body] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/^connection: close$/im);
    expect(head).toMatch(/^x-content-type-options: nosniff$/im);
    expect(head).toMatch(/^content-security-policy: default-src 'none'/im);
    expect(JSON.parse(body!)).toEqual({ error: "The service is shutting down. Send the request again.", error_code: "SHUTTING_DOWN" });
  });

  it("a delivery that outlives its cut request still reaches the audit log before it is closed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-lifecycle-"));
    const { slow, started } = slowChannel(500);
    const config = loadConfig({
      OTP_STORE: `sqlite:${join(dir, "otp.db")}`,
      PORT: "0",
      OTP_KEYS: generateKey("g1"),
      OTP_API_KEYS: "lifecycle-api-key-123456",
    });
    const service = await startService(config, { say: () => {}, channels: [slow], logger: false, shutdownGraceMs: 100 });
    const inFlight = fetch(`${service.url}/v1/verifications`, {
      method: "POST",
      headers: { authorization: "Bearer lifecycle-api-key-123456", "content-type": "application/json" },
      body: JSON.stringify({ identifier: "slow@example.com", purpose: "login" }),
    }).catch((error: Error) => error);
    await started;
    await service.stop();
    // The grace period cut the request before its delivery ended.
    expect(await inFlight).toBeInstanceOf(Error);
    const audit = new Database(join(dir, "audit.db"), { readonly: true });
    const actions = audit.prepare("SELECT action FROM otp_audit ORDER BY at, event_id").all() as Array<{ action: string }>;
    audit.close();
    expect(actions.map((row) => row.action)).toEqual(["generated", "delivered"]);
  });
});

describe("the CLI", () => {
  it("has --help for each command", async () => {
    const results = await Promise.all([run(["--help"]), run(["serve", "--help"]), run(["keygen", "--help"]), run(["migrate", "--help"])]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(results[0]!.stdout).toMatch(/serve[\s\S]*keygen[\s\S]*migrate/);
    expect(results[1]!.stdout).toMatch(/OTP_STORE/);
    expect(results[2]!.stdout).toMatch(/--kid/);
    expect(results[3]!.stdout).toMatch(/Idempotent/);
  });

  it("keygen prints a key OTP_KEYS accepts; an unknown command fails", async () => {
    const [key, apiKey, unknown] = await Promise.all([run(["keygen", "--kid", "k9"]), run(["keygen", "--api-key"]), run(["frobnicate"])]);
    expect(key.stdout.trim()).toMatch(/^k9:[A-Za-z0-9_-]{43}$/);
    expect(loadConfig({ OTP_KEYS: key.stdout.trim(), OTP_API_KEYS: apiKey.stdout.trim() }).apiKeys?.map(({ key }) => key)).toEqual([
      apiKey.stdout.trim(),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command/);
  });

  it("serve refuses a bad configuration, naming the variable", async () => {
    const result = await run(["serve"], { NODE_ENV: "production", OTP_STORE: "memory", OTP_KEYS: "", OTP_API_KEYS: "" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/OTP_KEYS: is required in production/);
    expect(result.stderr).toMatch(/OTP_STORE: memory is refused/);
  });

  it("serve stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [...CLI, "serve"], {
      env: {
        ...process.env,
        OTP_STORE: "memory",
        PORT: "0",
        LOG_LEVEL: "warn",
        OTP_KEYS: generateKey("s1"),
        OTP_API_KEYS: "sigterm-api-key-12345678",
        NODE_ENV: "development",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    for (let i = 0; i < 100 && !/service on (http\S+)/.test(stdout); i++) await sleep(100);
    const url = /service on (http:\/\/\S+)/.exec(stdout)![1]!;
    expect((await fetch(`${url}/health/otp`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/SIGTERM received[\s\S]*stopped/);
  });
});
