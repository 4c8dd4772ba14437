/**
 * The configuration file (JSON or YAML) and the environment laid over it, both checked against
 * the schema: unknown names refused with the nearest known one, every problem at once, no
 * secret echoed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { ConfigError, loadConfig, type ServiceConfig } from "../../src/server/config.js";

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "otp-config-")), name);
  writeFileSync(path, text);
  return path;
}

function problems(env: Record<string, string>, configFile?: string): Record<string, string> {
  try {
    loadConfig(env, configFile === undefined ? {} : { configFile });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).problems.map(({ variable, problem }) => [variable, problem]));
  }
  throw new Error("expected a ConfigError");
}

const SETTINGS = {
  store: "memory",
  server: { port: 4100, trustProxy: ["10.0.0.0/8"], logLevel: "warn" },
  policy: { maxAttempts: 4, codeTtlSeconds: 120 },
  purposes: { payment: { maxAttempts: 1, guard: { failuresPerIdentifier: 3 } } },
  defaultCountry: "GB",
  guard: { sendsPerIdentifier: { max: 3, windowSeconds: 600 }, smsCountries: ["GB"], prefixVelocity: false },
  templates: { appName: "Acme" },
  audit: { retentionDays: 30 },
};

const YAML = `# the same settings as SETTINGS
store: memory
server:
  port: 4100
  trustProxy: [10.0.0.0/8]
  logLevel: warn
policy: { maxAttempts: 4, codeTtlSeconds: 120 }
purposes:
  payment:
    maxAttempts: 1
    guard:
      failuresPerIdentifier: 3
defaultCountry: GB
guard:
  sendsPerIdentifier: { max: 3, windowSeconds: 600 }
  smsCountries: [GB]
  prefixVelocity: false
templates:
  appName: Acme
audit:
  retentionDays: 30
`;

function expectSettings(config: ServiceConfig): void {
  expect(config).toMatchObject({
    store: { kind: "memory" },
    port: 4100,
    trustProxy: ["10.0.0.0/8"],
    logLevel: "warn",
    policy: { maxAttempts: 4, codeTtlSeconds: 120 },
    purposes: { payment: { maxAttempts: 1 } },
    defaultCountry: "GB",
    channels: { appName: "Acme" },
    auditRetentionDays: 30,
    limits: {
      enabled: true,
      smsCountries: ["GB"],
      settings: {
        sendsPerIdentifier: { max: 3, windowSeconds: 600 },
        prefixVelocity: false,
        purposes: { payment: { failuresPerIdentifier: 3 } },
      },
    },
  });
}

describe("the configuration file", () => {
  it("reads JSON and YAML into the same configuration", () => {
    const json = loadConfig({}, { configFile: file("otp-actions.json", JSON.stringify(SETTINGS)) });
    const yaml = loadConfig({}, { configFile: file("otp-actions.yaml", YAML) });
    expectSettings(json);
    expectSettings(yaml);
    expect(yaml).toEqual({ ...json, configFile: yaml.configFile });
    // OTP_CONFIG names it when --config does not; .yml too.
    expectSettings(loadConfig({ OTP_CONFIG: file("otp-actions.yml", YAML) }));
  });

  it("lets the environment win over the file", () => {
    const path = file("otp-actions.yaml", YAML);
    const config = loadConfig(
      { PORT: "4200", OTP_MAX_ATTEMPTS: "2", OTP_SMS_COUNTRIES: "us, ca", OTP_SENDS_PER_IDENTIFIER: "off", OTP_RATE_LIMITS: "on" },
      { configFile: path },
    );
    expect(config.port).toBe(4200);
    expect(config.policy).toEqual({ maxAttempts: 2, codeTtlSeconds: 120 });
    expect(config.limits.smsCountries).toEqual(["US", "CA"]);
    expect(config.limits.settings.sendsPerIdentifier).toBe(false);
    // Untouched settings stay the file's.
    expect(config.purposes.payment).toEqual({ maxAttempts: 1 });
    // A problem in a value from the environment names the variable, one from the file its key.
    const found = problems({ OTP_CODE_TTL_SECONDS: "1000" }, file("otp-actions.yaml", "policy:\n  sessionTtlSeconds: 600\n"));
    expect(found).toEqual({ "policy.sessionTtlSeconds": "must be at least OTP_CODE_TTL_SECONDS (1000)" });
  });

  it("names the nearest known variable for a misspelt one", () => {
    expect(problems({ OTP_MAX_ATTEMPT: "1" })).toEqual({ OTP_MAX_ATTEMPT: "unknown variable; did you mean OTP_MAX_ATTEMPTS?" });
    expect(problems({ OTP_SMS_COUNTRY: "US" }).OTP_SMS_COUNTRY).toBe("unknown variable; did you mean OTP_SMS_COUNTRIES?");
    expect(problems({ OTP_WHATEVER_ELSE: "1" }).OTP_WHATEVER_ELSE).toBe("unknown variable; see otp-actions serve --help");
    // An empty one is as misspelt as a set one; the examples' and the test suite's own are left alone.
    expect(Object.keys(problems({ OTP_MAX_ATTEMPT: "" }))).toEqual(["OTP_MAX_ATTEMPT"]);
    expect(() => loadConfig({ OTP_URL: "http://127.0.0.1:3000", OTP_API_KEY: "x", OTP_TEST_REDIS_URL: "redis://x" })).not.toThrow();
  });

  it("names the nearest known key for a misspelt one, at any depth", () => {
    const found = problems(
      {},
      file(
        "otp-actions.yaml",
        ["polcy: {}", "purposes:", "  payment:", "    maxAtempts: 1", "    guard:", "      lockout: { baseSecond: 60 }"].join("\n"),
      ),
    );
    expect(found).toEqual({
      polcy: "unknown key; did you mean policy?",
      "purposes.payment.maxAtempts": "unknown key; did you mean maxAttempts?",
      "purposes.payment.guard.lockout.baseSecond": "unknown key; did you mean baseSeconds?",
    });
    expect(problems({}, file("c.json", JSON.stringify({ server: { zzz: 1 } })))["server.zzz"]).toMatch(
      /^unknown key; the known keys here are port, host/,
    );
  });

  it("reports every problem at once, file and environment, never echoing a secret", () => {
    const secrets = {
      keys: "k1:not-a-real-key-but-a-secret-value",
      apiKeys: ["short-secret"],
      channels: { twilio: { accountSid: "AC0123456789abcdef0123456789abcdef", authToken: 42, from: "+14155550100" } },
    };
    const found = problems(
      { OTP_WEBHOOK_URL: "https://hooks.example.com/otp", OTP_WEBHOOK_SECRET: "tiny-secret", OTP_MAX_ATTEMPT: "1", PORT: "http" },
      file("otp-actions.json", JSON.stringify({ ...secrets, store: "mysql://user:hunter2@db/otp", policy: { codeLength: 5 } })),
    );
    expect(found).toEqual({
      OTP_MAX_ATTEMPT: "unknown variable; did you mean OTP_MAX_ATTEMPTS?",
      keys: expect.stringMatching(/32 bytes/),
      apiKeys: expect.stringMatching(/16-512/),
      store: expect.stringMatching(/mysql/),
      PORT: "must be an integer from 0 to 65535, got 'http'",
      "policy.codeLength": "must be an integer from 6 to 10, got '5'",
      "channels.twilio.authToken": "must be a string", // and not again as missing
      OTP_WEBHOOK_SECRET: "must be at least 16 characters",
    });
    const text = JSON.stringify(found);
    for (const secret of ["not-a-real-key", "short-secret", "hunter2", "tiny-secret", "42"]) expect(text).not.toContain(secret);
  });

  it("says where a file cannot be read or parsed, without quoting it", () => {
    const yaml = problems({}, file("bad.yaml", "keys: [k1:secret-in-a-broken-line\nstore: memory\n"));
    expect(yaml["--config"]).toMatch(/is not valid YAML at line \d+, column \d+/);
    expect(yaml["--config"]).not.toContain("secret-in-a-broken-line");
    const json = problems({ OTP_CONFIG: file("bad.json", '{ "keys": "k1:secret-in-json" ,, }') });
    expect(json.OTP_CONFIG).toMatch(/is not valid JSON at line 1, column \d+/);
    expect(json.OTP_CONFIG).not.toContain("secret-in-json");
    expect(problems({}, "/nonexistent/otp-actions.yaml")["--config"]).toMatch(/cannot be read \(ENOENT\)/);
    expect(problems({}, file("otp-actions.toml", ""))["--config"]).toMatch(/must end in .json, .yaml or .yml/);
    expect(problems({}, file("list.yaml", "- a\n- b\n"))["--config"]).toMatch(/must hold an object/);
  });

  it("keeps secrets in the file working, as a list of keys too", () => {
    const keys = [generateKey("a1"), generateKey("a0")];
    const config = loadConfig(
      { NODE_ENV: "production" },
      {
        configFile: file(
          "otp-actions.json",
          JSON.stringify({ keys, apiKeys: ["a-production-api-key-123 audit metrics"], store: "redis://127.0.0.1:6379" }),
        ),
      },
    );
    expect(config).toMatchObject({
      production: true,
      keys: keys.join(","),
      apiKeys: [{ key: "a-production-api-key-123", scopes: ["audit", "metrics"] }],
    });
  });
});

describe("otp-actions serve --config", () => {
  it("reads the file it names, and stops with every problem before starting", async () => {
    const { spawn } = await import("node:child_process");
    const path = file(
      "otp-actions.yaml",
      "policy:\n  maxAtempts: 1\nchannels:\n  webhook: { url: 'https://hooks.example.com', secret: tiny-hook-key }\n",
    );
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve", "--config", path], {
        env: { ...process.env, OTP_STORE: "memory", OTP_MAX_ATTEMPT: "1" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`invalid configuration (${path} and the environment)`);
    expect(result.stderr).toContain("OTP_MAX_ATTEMPT: unknown variable; did you mean OTP_MAX_ATTEMPTS?");
    expect(result.stderr).toContain("policy.maxAtempts: unknown key; did you mean maxAttempts?");
    expect(result.stderr).toContain("channels.webhook.secret: must be at least 16 characters");
    expect(result.stderr).not.toContain("tiny-hook-key");
  });
});
