/**
 * What a start does with its storage: a production start refuses an unmigrated SQL store (naming
 * `otp-actions migrate` and every missing table) unless OTP_AUTO_MIGRATE asks for the migration;
 * a store that cannot be reached is reported in one line, the service starts with /health/ready
 * false, and readiness turns true once the store answers.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { type ConfigError, loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { closedPort } from "../helpers/network.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { startRedisProcess, type RedisProcess } from "../helpers/redis-process.js";
import { requireService } from "../helpers/services.js";

/** Tests that run the CLI start a TypeScript process or two: slow on a loaded machine. */
const CLI_TEST_TIMEOUT_MS = 90_000;
const API_KEY = "start-storage-api-key-0123";
const HEADERS = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };

/** An email channel that keeps each code it is given. */
function keepingChannel(): Channel & { codes: Map<string, string> } {
  const codes = new Map<string, string>();
  return {
    name: "email",
    accepts: "email",
    codes,
    async deliver(message) {
      codes.set(message.to, message.code);
    },
  };
}

function productionConfig(env: Record<string, string>) {
  return loadConfig({ NODE_ENV: "production", HOST: "127.0.0.1", PORT: "0", OTP_KEYS: generateKey("s1"), OTP_API_KEYS: API_KEY, ...env });
}

async function started(
  env: Record<string, string>,
  lines: string[] = [],
): Promise<RunningService & { channel: ReturnType<typeof keepingChannel> }> {
  const channel = keepingChannel();
  const service = await startService(productionConfig(env), { say: (line) => lines.push(line), channels: [channel], logger: false });
  return Object.assign(service, { channel });
}

/** Start, then check with the delivered code: the whole path through ledger, counters and audit log. */
async function roundTrip(service: RunningService & { channel: ReturnType<typeof keepingChannel> }, identifier: string): Promise<number> {
  const start = await fetch(`${service.url}/v1/verifications`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ identifier, purpose: "login" }),
  });
  expect(start.status).toBe(201);
  const { context } = (await start.json()) as { context: string };
  const check = await fetch(`${service.url}/v1/verifications/check`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ context, code: service.channel.codes.get(identifier), purpose: "login" }),
  });
  return check.status;
}

async function ready(
  service: RunningService,
): Promise<{ status: number; body: { status: string; checks: Record<string, Record<string, unknown>> } }> {
  const response = await fetch(`${service.url}/health/ready`);
  return { status: response.status, body: (await response.json()) as never };
}

function migrate(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cli("migrate", env);
}

function cli(command: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", command], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const EVERY_TABLE = [
  /ledger table otp_ledger/,
  /guard counters table otp_guard_counters/,
  /audit table otp_audit/,
  /alert rules table otp_audit_alert_rules/,
  /otp-actions migrate/,
  /OTP_AUTO_MIGRATE=true/,
];

describe("a production start on an unmigrated SQLite store", () => {
  it(
    "refuses, naming `otp-actions migrate` and every missing table; starts once migrated",
    async () => {
      const store = `sqlite:${join(mkdtempSync(join(tmpdir(), "otp-start-")), "otp.db")}`;
      const refused = await started({ OTP_STORE: store }).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused).toBeInstanceOf(Error);
      for (const part of EVERY_TABLE) expect(refused!.message).toMatch(part);
      // `serve` says so and exits 1.
      const serve = await cli("serve", {
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: "0",
        OTP_KEYS: generateKey("s2"),
        OTP_API_KEYS: API_KEY,
        OTP_STORE: store,
      });
      expect(serve.code).toBe(1);
      expect(serve.stderr).toMatch(/^otp-actions: the store is not migrated: missing ledger table otp_ledger.*otp-actions migrate/);

      const migrated = await migrate({ OTP_STORE: store });
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toMatch(
        /ledger table otp_ledger, guard counters table otp_guard_counters, audit table otp_audit, alert rules table otp_audit_alert_rules/,
      );
      const service = await started({ OTP_STORE: store });
      expect(await roundTrip(service, "sqlite@example.com")).toBe(200);
      expect((await ready(service)).status).toBe(200);
      await service.stop();
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it("OTP_AUTO_MIGRATE=true migrates at start", async () => {
    const store = `sqlite:${join(mkdtempSync(join(tmpdir(), "otp-start-")), "otp.db")}`;
    const service = await started({ OTP_STORE: store, OTP_AUTO_MIGRATE: "true" });
    expect(await roundTrip(service, "auto@example.com")).toBe(200);
    expect((await ready(service)).body.checks.store).toEqual({ ok: true, kind: "sqlite" });
    await service.stop();
  });
});

describe("a production start on an unmigrated Postgres store", async () => {
  const available = await requireService("postgres");
  const schemas: FreshSchema[] = [];
  afterAll(async () => {
    await Promise.all(schemas.map((schema) => schema.drop()));
  });
  const fresh = async () => {
    const schema = await freshSchema("start");
    schemas.push(schema);
    return schema;
  };

  it.skipIf(!available)(
    "refuses, naming `otp-actions migrate` and every missing table; starts once migrated",
    async () => {
      const { url } = await fresh();
      const refused = await started({ OTP_STORE: url }).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused).toBeInstanceOf(Error);
      for (const part of EVERY_TABLE) expect(refused!.message).toMatch(part);

      expect((await migrate({ OTP_STORE: url })).code).toBe(0);
      const service = await started({ OTP_STORE: url });
      expect(await roundTrip(service, "pg@example.com")).toBe(200);
      expect((await ready(service)).status).toBe(200);
      await service.stop();
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it.skipIf(!available)("OTP_AUTO_MIGRATE=true migrates at start", async () => {
    const { url } = await fresh();
    const service = await started({ OTP_STORE: url, OTP_AUTO_MIGRATE: "true" });
    expect(await roundTrip(service, "pg-auto@example.com")).toBe(200);
    expect((await ready(service)).status).toBe(200);
    await service.stop();
  });

  it.skipIf(!available)("readiness names what a migration left out", async () => {
    const { url, name } = await fresh();
    const service = await started({ OTP_STORE: url, OTP_AUTO_MIGRATE: "true" });
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP TABLE ${name}.otp_audit`);
    await client.end();
    const answer = await ready(service);
    expect(answer.status).toBe(503);
    expect(answer.body.checks.audit).toMatchObject({ ok: false, error: "NOT_MIGRATED", missing: ["audit table otp_audit"] });
    await service.stop();
  });
});

describe("a store that cannot be reached at start", () => {
  let redis: RedisProcess | undefined;
  afterAll(async () => {
    await redis?.stop();
  });

  it("Redis: one line naming it, readiness false, then true once a server answers on its port", async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const service = await started({ OTP_STORE: `redis://127.0.0.1:${port}/0` }, lines);
    const unreachable = lines.filter((line) => /not reachable/.test(line));
    expect(unreachable).toEqual([
      expect.stringMatching(new RegExp(`^warning: store redis://127\\.0\\.0\\.1:${port}/0 is not reachable at start`)),
    ]);

    const before = await ready(service);
    expect(before.status).toBe(503);
    expect(before.body.checks.store).toEqual({ ok: false, kind: "redis", error: "STORE_UNAVAILABLE" });
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);

    redis = await startRedisProcess(port);
    let after = before;
    for (let i = 0; i < 50 && after.status !== 200; i++) {
      await sleep(200);
      after = await ready(service);
    }
    expect(after.status).toBe(200);
    // Readiness asks the store itself; the start's own retry (once a second) says so on its next turn.
    const answered = `store redis://127.0.0.1:${port}/0 answers now`;
    for (let i = 0; i < 25 && !lines.includes(answered); i++) await sleep(200);
    expect(lines).toContain(answered);
    expect(await roundTrip(service, "redis@example.com")).toBe(200);
    await service.stop();
  });

  it("Postgres: one line naming it (no password), and the service starts with readiness false", async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const service = await started({ OTP_STORE: `postgres://postgres:s3cret-pass@127.0.0.1:${port}/test` }, lines);
    expect(lines.filter((line) => /not reachable/.test(line))).toEqual([
      expect.stringMatching(
        new RegExp(`^warning: store postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/test is not reachable at start`),
      ),
    ]);
    expect(lines.join("\n")).not.toContain("s3cret-pass");
    const answer = await ready(service);
    expect(answer.status).toBe(503);
    expect(answer.body.checks.store).toMatchObject({ ok: false, error: "STORE_UNAVAILABLE" });
    await service.stop();
  });
});

describe("the variables", () => {
  it("OTP_AUTO_MIGRATE is true or false; OTP_AUDIT_URL is a SQL audit log", () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((entry) => entry.variable);
      }
    };
    expect(problems({ OTP_AUTO_MIGRATE: "yes" })).toEqual(["OTP_AUTO_MIGRATE"]);
    expect(problems({ OTP_AUDIT_URL: "redis://127.0.0.1:6379" })).toEqual(["OTP_AUDIT_URL"]);
    expect(problems({ OTP_AUDIT_URL: "memory" })).toEqual(["OTP_AUDIT_URL"]);
    expect(loadConfig({ OTP_AUDIT_URL: "sqlite:./audit/otp-audit.db" }).auditStore).toEqual({
      kind: "sqlite",
      path: "./audit/otp-audit.db",
    });
    expect(loadConfig({ OTP_AUDIT_URL: "postgres://u:p@db/audit" }).auditStore).toMatchObject({ kind: "postgres" });
  });
});
