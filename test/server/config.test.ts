import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import { developmentSecrets, keptSecret } from "../../src/server/dev-secrets.js";
import { describeStore, parseStoreSpec } from "../../src/server/store-from-config.js";

function problems(env: Record<string, string>): Array<{ variable: string; problem: string }> {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has development defaults: sqlite under ./data, loopback, port 3000", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      production: false,
      store: { kind: "sqlite", path: "./data/otp.db" },
      host: "127.0.0.1",
      port: 3000,
      trustProxy: false,
      bodyLimitBytes: 32768,
    });
    expect(config.keys).toBeUndefined();
    expect(config.apiKeys).toBeUndefined();
  });

  it("production refuses to start without keys and API keys, and refuses the memory store", () => {
    const found = problems({ NODE_ENV: "production", OTP_STORE: "memory" });
    expect(found.map((p) => p.variable).sort()).toEqual(["OTP_API_KEYS", "OTP_KEYS", "OTP_STORE"]);
    expect(found.find((p) => p.variable === "OTP_STORE")!.problem).toMatch(/memory is refused in production/);
    const ok = loadConfig({
      NODE_ENV: "production",
      OTP_KEYS: generateKey("p1"),
      OTP_API_KEYS: "a-production-api-key-123",
      OTP_STORE: "redis://127.0.0.1:6379",
    });
    expect(ok).toMatchObject({ production: true, host: "0.0.0.0", store: { kind: "redis" } });
  });

  it("names the variable and what is wrong, never echoing a secret", () => {
    const secret = "k1:notbase64-but-secret-looking-value";
    const found = problems({
      OTP_KEYS: secret,
      OTP_API_KEYS: "short",
      PORT: "99999",
      OTP_STORE: "mysql://x",
      OTP_MAX_ATTEMPTS: "0",
      OTP_TRUST_PROXY: "maybe",
      LOG_LEVEL: "loud",
    });
    const byVariable = Object.fromEntries(found.map((p) => [p.variable, p.problem]));
    expect(byVariable.OTP_KEYS).toMatch(/32 bytes/);
    expect(byVariable.OTP_API_KEYS).toMatch(/16-512/);
    expect(byVariable.PORT).toMatch(/0 to 65535/);
    expect(byVariable.OTP_STORE).toMatch(/mysql/);
    expect(byVariable.OTP_MAX_ATTEMPTS).toMatch(/1 to 100/);
    expect(byVariable.OTP_TRUST_PROXY).toMatch(/maybe/);
    expect(byVariable.LOG_LEVEL).toBeDefined();
    expect(JSON.stringify(found)).not.toContain("secret-looking");
    expect(JSON.stringify(found)).not.toContain("short");
  });

  it("checks the TTLs against each other", () => {
    expect(problems({ OTP_CODE_TTL_SECONDS: "600", OTP_SESSION_TTL_SECONDS: "300" })[0]!.variable).toBe("OTP_SESSION_TTL_SECONDS");
    expect(loadConfig({ OTP_CODE_TTL_SECONDS: "120", OTP_MAX_ATTEMPTS: "5", OTP_CODE_LENGTH: "8" }).policy).toEqual({
      codeTtlSeconds: 120,
      maxAttempts: 5,
      codeLength: 8,
    });
  });

  it("reads OTP_TRUST_PROXY as a boolean, a hop count or proxy addresses", () => {
    expect(loadConfig({ OTP_TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ OTP_TRUST_PROXY: "false" }).trustProxy).toBe(false);
    expect(loadConfig({ OTP_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ OTP_TRUST_PROXY: "10.0.0.0/8, ::1" }).trustProxy).toEqual(["10.0.0.0/8", "::1"]);
    expect(problems({ OTP_TRUST_PROXY: "10.0.0.0/40" })[0]!.variable).toBe("OTP_TRUST_PROXY");
  });
});

describe("OTP_STORE", () => {
  it("maps each form to a store and prints it without a password", () => {
    expect(parseStoreSpec("memory")).toEqual({ kind: "memory" });
    expect(parseStoreSpec("sqlite:./data/otp.db")).toEqual({ kind: "sqlite", path: "./data/otp.db" });
    expect(parseStoreSpec("sqlite:///var/lib/otp.db")).toEqual({ kind: "sqlite", path: "/var/lib/otp.db" });
    expect(parseStoreSpec("postgresql://u:pw@db/otp")).toMatchObject({ kind: "postgres" });
    expect(describeStore(parseStoreSpec("redis://:hunter2@cache:6379/0"))).not.toContain("hunter2");
    // The drivers take a password in the query too.
    expect(describeStore(parseStoreSpec("redis://cache:6379/0?password=hunter2"))).toBe("redis://cache:6379/0?…");
    expect(describeStore(parseStoreSpec("postgres://u@db/otp?sslmode=require&password=hunter2"))).not.toContain("hunter2");
    expect(() => parseStoreSpec("sqlite:")).toThrow(/file path/);
  });
});

describe("development secrets", () => {
  it("generates a key and an API key once, keeps them 0600 under the data directory, and warns", () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "otp-dev-")), "data");
    const lines: string[] = [];
    const first = developmentSecrets({ keys: undefined, apiKeys: undefined, dataDir }, (line) => lines.push(line));
    expect(first.keys).toMatch(/^dev:[A-Za-z0-9_-]{43}$/);
    expect(first.apiKeys[0]!.key).toMatch(/^otp_/);
    // The developer's own key reaches every route, the curl examples' audit and metrics ones included.
    expect(first.apiKeys[0]!.scopes).toEqual(["admin"]);
    expect(lines.join("\n")).toMatch(/OTP_KEYS is not set/);
    expect(lines.join("\n")).toContain(first.apiKeys[0]!.key);
    expect(lines.join("\n")).not.toContain(first.keys.split(":")[1]);
    expect(statSync(join(dataDir, "dev-keys")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, "dev-keys"), "utf8").trim()).toBe(first.keys);
    const second = developmentSecrets({ keys: undefined, apiKeys: undefined, dataDir }, () => {});
    expect(second).toEqual(first);
    const given = [{ key: "given-api-key-1234567", scopes: ["verify" as const] }];
    const configured = developmentSecrets({ keys: "given", apiKeys: given, dataDir }, () => {});
    expect(configured).toEqual({ keys: "given", apiKeys: given });
  });

  it("a process that loses the race to create a secret runs on the winner's, the one on disk", () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "otp-dev-")), "data");
    // Another process writes its key between this one's look and its write.
    const mine = keptSecret(dataDir, "dev-keys", () => {
      writeFileSync(join(dataDir, "dev-keys"), "theirs\n", { mode: 0o600 });
      return "mine";
    });
    expect(mine).toMatchObject({ value: "theirs", created: false });
    expect(readFileSync(join(dataDir, "dev-keys"), "utf8").trim()).toBe("theirs");
    expect(readdirSync(dataDir)).toEqual(["dev-keys"]); // nothing staged is left behind
    // An empty file (a write cut short) is replaced whole.
    writeFileSync(join(dataDir, "dev-api-key"), "");
    expect(keptSecret(dataDir, "dev-api-key", () => "fresh")).toMatchObject({ value: "fresh", created: true });
    expect(statSync(join(dataDir, "dev-api-key")).mode & 0o777).toBe(0o600);
  });
});

describe("channel and listener settings", () => {
  const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
  const SERVICE_SID = "MG0123456789abcdef0123456789abcdef";
  const twilio = { OTP_TWILIO_ACCOUNT_SID: ACCOUNT_SID, OTP_TWILIO_AUTH_TOKEN: "a-twilio-auth-token" };
  const webhookSecret = "a-webhook-secret-0123456789";
  const byVariable = (env: Record<string, string>) => Object.fromEntries(problems(env).map((p) => [p.variable, p.problem]));

  it("OTP_WEBHOOK_URL must be https, or http to a loopback host", () => {
    expect(byVariable({ OTP_WEBHOOK_URL: "http://hooks.example.com/otp", OTP_WEBHOOK_SECRET: webhookSecret }).OTP_WEBHOOK_URL).toMatch(
      /https/,
    );
    for (const url of [
      "https://hooks.example.com/otp",
      "http://127.0.0.1:8080/otp",
      "http://localhost:8080/otp",
      "http://[::1]:8080/otp",
    ]) {
      expect(loadConfig({ OTP_WEBHOOK_URL: url, OTP_WEBHOOK_SECRET: webhookSecret }).channels.webhook?.url).toBe(url);
    }
    expect(byVariable({ OTP_WEBHOOK_URL: "http://hooks.localhost/otp", OTP_WEBHOOK_SECRET: webhookSecret }).OTP_WEBHOOK_URL).toMatch(
      /https/,
    );
    const withPassword = byVariable({
      OTP_WEBHOOK_URL: "https://hook:s3cretpass@hooks.example.com/otp",
      OTP_WEBHOOK_SECRET: webhookSecret,
    }).OTP_WEBHOOK_URL;
    expect(withPassword).toMatch(/user name or password/);
    expect(withPassword).not.toContain("s3cretpass");
  });

  it("the Twilio SIDs must have Twilio's form", () => {
    expect(byVariable({ ...twilio, OTP_TWILIO_ACCOUNT_SID: "not-a-sid", OTP_TWILIO_FROM: "+14155550123" }).OTP_TWILIO_ACCOUNT_SID).toMatch(
      /AC followed by 32/,
    );
    expect(byVariable({ ...twilio, OTP_TWILIO_MESSAGING_SERVICE_SID: "MG123" }).OTP_TWILIO_MESSAGING_SERVICE_SID).toMatch(
      /MG followed by 32/,
    );
    expect(loadConfig({ ...twilio, OTP_TWILIO_FROM: "+14155550123" }).channels.twilio).toMatchObject({
      accountSid: ACCOUNT_SID,
      from: "+14155550123",
    });
    expect(loadConfig({ ...twilio, OTP_TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID }).channels.twilio).toMatchObject({
      messagingServiceSid: SERVICE_SID,
    });
  });

  it("Twilio takes exactly one sender, and a sender alone is a half-configured channel", () => {
    const both = byVariable({ ...twilio, OTP_TWILIO_FROM: "+14155550123", OTP_TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID });
    expect(Object.keys(both)).toEqual(["OTP_TWILIO_FROM"]);
    expect(both.OTP_TWILIO_FROM).toMatch(/OTP_TWILIO_MESSAGING_SERVICE_SID/);
    expect(Object.keys(byVariable(twilio))).toEqual(["OTP_TWILIO_FROM"]);
    expect(Object.keys(byVariable({ OTP_TWILIO_FROM: "+14155550123" })).sort()).toEqual([
      "OTP_TWILIO_ACCOUNT_SID",
      "OTP_TWILIO_AUTH_TOKEN",
    ]);
  });

  it("HOST must be an IP address or a host name", () => {
    expect(byVariable({ HOST: "not_a_host" }).HOST).toMatch(/not_a_host/);
    expect(byVariable({ HOST: "http://example.com" }).HOST).toBeDefined();
    for (const host of ["0.0.0.0", "::", "::1", "127.0.0.1", "localhost", "otp.internal.example"])
      expect(loadConfig({ HOST: host, OTP_DEV_PUBLIC: "true" }).host).toBe(host);
  });

  it("development listens on loopback only, unless OTP_DEV_PUBLIC=true: its outbox shows every code", () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.7", "otp.internal.example"])
      expect(byVariable({ HOST: host }).HOST, host).toMatch(/OTP_DEV_PUBLIC/);
    for (const host of ["127.0.0.1", "::1", "localhost"]) expect(loadConfig({ HOST: host }).host).toBe(host);
    expect(loadConfig({ HOST: "0.0.0.0", OTP_DEV_PUBLIC: "true" }).host).toBe("0.0.0.0");
    const production = {
      NODE_ENV: "production",
      OTP_KEYS: generateKey("p2"),
      OTP_API_KEYS: "a-production-api-key-123",
      OTP_STORE: "redis://127.0.0.1:6379",
    };
    expect(loadConfig({ ...production, HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });

  it("NODE_ENV is production, development or test: a near miss does not run in development", () => {
    for (const value of ["prod", "Production", "staging"])
      expect(byVariable({ NODE_ENV: value }).NODE_ENV, value).toMatch(/production, development or test/);
    for (const value of ["development", "test"]) expect(loadConfig({ NODE_ENV: value }).production).toBe(false);
  });

  it("OTP_APP_NAME and OTP_WEBOTP_DOMAIN are checked as the message templates check them", () => {
    const found = byVariable({ OTP_APP_NAME: "x".repeat(101), OTP_WEBOTP_DOMAIN: "https://example.com" });
    expect(found.OTP_APP_NAME).toMatch(/1-100/);
    expect(found.OTP_WEBOTP_DOMAIN).toMatch(/host name/);
    expect(loadConfig({ OTP_APP_NAME: "Acme", OTP_WEBOTP_DOMAIN: "acme.example" }).channels).toMatchObject({
      appName: "Acme",
      webOtpDomain: "acme.example",
    });
  });

  it("reports every problem together", () => {
    const found = problems({
      HOST: "not_a_host",
      OTP_WEBHOOK_URL: "http://hooks.example.com/otp",
      OTP_WEBHOOK_SECRET: webhookSecret,
      OTP_TWILIO_ACCOUNT_SID: "not-a-sid",
      OTP_TWILIO_AUTH_TOKEN: "a-twilio-auth-token",
      OTP_TWILIO_FROM: "+14155550123",
      OTP_TWILIO_MESSAGING_SERVICE_SID: "MG123",
      OTP_WEBOTP_DOMAIN: "not a domain",
    });
    expect(found.map((p) => p.variable).sort()).toEqual([
      "HOST",
      "OTP_TWILIO_ACCOUNT_SID",
      "OTP_TWILIO_FROM",
      "OTP_TWILIO_MESSAGING_SERVICE_SID",
      "OTP_WEBHOOK_URL",
      "OTP_WEBOTP_DOMAIN",
    ]);
    expect(JSON.stringify(found)).not.toContain("a-twilio-auth-token");
  });
});
