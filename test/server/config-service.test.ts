/**
 * Settings from the configuration file take effect in the running service: a purpose's own
 * policy, the default country of national phone numbers, and the guard's limits.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { capturingChannel } from "../../src/testing/index.js";

const API_KEY = "config-service-api-key-0123";
const AUTH = { authorization: `Bearer ${API_KEY}` };
const ENV = { PORT: "0", OTP_KEYS: generateKey("cs"), OTP_API_KEYS: API_KEY };

let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

function configFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "otp-config-")), name);
  writeFileSync(path, text);
  return path;
}

async function serve(
  file: string | undefined,
  env: Record<string, string> = {},
  hooks: Partial<Parameters<typeof startService>[1]> = {},
): Promise<RunningService> {
  const config = loadConfig({ ...ENV, OTP_STORE: "memory", ...env }, file === undefined ? {} : { configFile: file });
  service = await startService(config, { say: () => {}, logger: false, ...hooks });
  return service;
}

async function start(running: RunningService, payload: Record<string, unknown>) {
  return running.app.inject({ method: "POST", url: "/v1/verifications", headers: AUTH, payload });
}

async function check(running: RunningService, payload: Record<string, unknown>) {
  return running.app.inject({ method: "POST", url: "/v1/verifications/check", headers: AUTH, payload });
}

/** Another code of the same length: the last digit changed. */
const wrong = (code: string) => `${code.slice(0, -1)}${(Number(code.at(-1)) + 1) % 10}`;

describe("the configuration file in the running service", () => {
  it("gives a purpose its own policy: one attempt for payment, the default three for login", async () => {
    const running = await serve(configFile("otp-actions.yaml", "purposes:\n  payment:\n    maxAttempts: 1\n    codeLength: 8\n"));
    const codeFor = (to: string) => running.outbox!.list().find((entry) => entry.to === to)!.code;

    const payment = (await start(running, { identifier: "pay@example.com", purpose: "payment" })).json();
    const paymentCode = codeFor("pay@example.com");
    expect(paymentCode).toMatch(/^\d{8}$/);
    const first = await check(running, { context: payment.context, code: wrong(paymentCode), purpose: "payment" });
    expect(first.json()).toMatchObject({ error_code: "INVALID_OTP", attempts_remaining: 0 });
    // The second guess is refused, the right code included.
    const second = await check(running, { context: first.json().context, code: paymentCode, purpose: "payment" });
    expect(second.statusCode).toBe(429);
    expect(second.json().error_code).toBe("MAX_RETRIES_EXCEEDED");

    const login = (await start(running, { identifier: "login@example.com", purpose: "login" })).json();
    const loginCode = codeFor("login@example.com");
    expect(loginCode).toMatch(/^\d{6}$/);
    const miss = await check(running, { context: login.context, code: wrong(loginCode), purpose: "login" });
    expect(miss.json()).toMatchObject({ error_code: "INVALID_OTP", attempts_remaining: 2 });
    const hit = await check(running, { context: miss.json().context, code: loginCode, purpose: "login" });
    expect(hit.statusCode).toBe(200);
  });

  it("takes a national phone number with defaultCountry, and refuses it without", async () => {
    const without = await serve(undefined);
    const refused = await start(without, { identifier: "(415) 555-0123", purpose: "login", channel: "sms" });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error_code).toBe("INVALID_IDENTIFIER");
    await without.stop();

    const running = await serve(configFile("otp-actions.json", JSON.stringify({ defaultCountry: "US" })));
    const accepted = await start(running, { identifier: "(415) 555-0123", purpose: "login", channel: "sms" });
    expect(accepted.statusCode).toBe(201);
    expect(running.outbox!.list()[0]!.to).toBe("+14155550123");
  });

  it("tunes the guard: a send limit from the environment, a failure budget for one purpose from the file", async () => {
    const file = configFile(
      "otp-actions.yml",
      ["guard:", "  resendCooldownSeconds: 0", "purposes:", "  payment:", "    guard:", "      failuresPerIdentifier: 2"].join("\n"),
    );
    const running = await serve(file, { OTP_SENDS_PER_IDENTIFIER: "2/600" });
    const codeFor = (to: string) => running.outbox!.list().find((entry) => entry.to === to)!.code;
    expect((await start(running, { identifier: "limit@example.com", purpose: "login" })).statusCode).toBe(201);
    expect((await start(running, { identifier: "limit@example.com", purpose: "login" })).statusCode).toBe(201);
    const third = await start(running, { identifier: "limit@example.com", purpose: "login" });
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ error_code: "RATE_LIMITED", limit: "sends_per_identifier" });

    // Two wrong guesses use payment's budget of failures: the right code is then refused too.
    // Login keeps the default budget (20): the same guesses leave it open.
    for (const purpose of ["payment", "login"]) {
      const identifier = `${purpose}-guesses@example.com`;
      let { context } = (await start(running, { identifier, purpose })).json() as { context: string };
      const code = codeFor(identifier);
      for (let i = 0; i < 2; i++) context = (await check(running, { context, code: wrong(code), purpose })).json().context ?? context;
      const right = await check(running, { context, code, purpose });
      if (purpose === "payment") {
        expect(right.statusCode).toBe(429);
        expect(right.json().error_code).toBe("RATE_LIMITED");
      } else {
        expect(right.statusCode).toBe(200);
      }
    }
  });

  it("restricts a purpose's channels and gives it a message locale", async () => {
    const email = capturingChannel({ name: "email", accepts: "email" });
    const sms = capturingChannel({ name: "sms", accepts: "phone" });
    const file = configFile(
      "otp-actions.yaml",
      "policy:\n  locale: de\n  channels: [email]\npurposes:\n  payment:\n    channels: [sms]\n    locale: fr\n",
    );
    const running = await serve(file, {}, { channels: [email, sms] });
    const refused = await start(running, { identifier: "pay@example.com", purpose: "payment" });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error_code).toBe("INVALID_REQUEST");
    expect((await start(running, { identifier: "+14155550123", purpose: "payment" })).statusCode).toBe(201);
    // policy.channels holds for every other purpose.
    expect((await start(running, { identifier: "+14155550124", purpose: "login" })).statusCode).toBe(400);
    expect((await start(running, { identifier: "ada@example.com", purpose: "login" })).statusCode).toBe(201);
    expect((await start(running, { identifier: "bob@example.com", purpose: "login", locale: "it" })).statusCode).toBe(201);
    expect(sms.messages.map((message) => [message.purpose, message.locale])).toEqual([["payment", "fr"]]);
    expect(email.messages.map((message) => [message.purpose, message.locale])).toEqual([
      ["login", "de"],
      ["login", "it"],
    ]);
  });

  it("refuses a channel list or locale that is not one, naming the setting", () => {
    const file = configFile("otp-actions.json", JSON.stringify({ purposes: { payment: { channels: ["sms", "no way"], locale: "x" } } }));
    const load = () => loadConfig({ ...ENV, OTP_STORE: "memory" }, { configFile: file });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const names = (error as ConfigError).problems.map((problem) => problem.variable);
      expect(names.some((name) => name.startsWith("purposes.payment.channels"))).toBe(true);
      expect(names).toContain("purposes.payment.locale");
    }
  });
});
