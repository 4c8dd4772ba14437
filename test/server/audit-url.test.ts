/**
 * OTP_AUDIT_URL: a durable audit log for a store that keeps none (Redis), in a SQLite file or a
 * Postgres database of its own. Its rows survive a restart; without it, a production start on
 * Redis says plainly that audit rows are lost on restart.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { startRedisProcess, type RedisProcess } from "../helpers/redis-process.js";
import { requireService } from "../helpers/services.js";

/** Tests that run the CLI start a TypeScript process or two: slow on a loaded machine. */
const CLI_TEST_TIMEOUT_MS = 90_000;
const API_KEY = "audit-url-api-key-0123456";
const HEADERS = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
const KEYS = generateKey("a1");

const codes = new Map<string, string>();
const channel: Channel = {
  name: "email",
  accepts: "email",
  async deliver(message) {
    codes.set(message.to, message.code);
  },
};

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedisProcess();
});
afterAll(() => redis.stop());

function start(env: Record<string, string>, lines: string[] = []): Promise<RunningService> {
  const config = loadConfig({
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    OTP_KEYS: KEYS,
    OTP_API_KEYS: `${API_KEY} admin`,
    OTP_STORE: `redis://127.0.0.1:${redis.port}`,
    ...env,
  });
  return startService(config, { say: (line) => lines.push(line), channels: [channel], logger: false });
}

async function verifyOnce(service: RunningService, identifier: string): Promise<void> {
  const started = await fetch(`${service.url}/v1/verifications`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ identifier, purpose: "login" }),
  });
  const { context } = (await started.json()) as { context: string };
  const checked = await fetch(`${service.url}/v1/verifications/check`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ context, code: codes.get(identifier), purpose: "login" }),
  });
  expect(checked.status).toBe(200);
}

async function actionsFor(service: RunningService, identifier: string): Promise<string[]> {
  const response = await fetch(`${service.url}/v1/audit/query`, { method: "POST", headers: HEADERS, body: JSON.stringify({ identifier }) });
  expect(response.status).toBe(200);
  const { rows } = (await response.json()) as { rows: Array<{ action: string }> };
  return rows.map((row) => row.action).sort();
}

/** Rows written before a stop are read back by the next start. */
async function keepsRowsAcrossARestart(env: Record<string, string>, identifier: string): Promise<void> {
  const first = await start(env);
  await verifyOnce(first, identifier);
  await first.stop();
  const second = await start(env);
  try {
    expect(await actionsFor(second, identifier)).toEqual(["delivered", "generated", "verified"]);
  } finally {
    await second.stop();
  }
}

describe("a Redis service", () => {
  it("without OTP_AUDIT_URL, the production start says audit rows are lost on restart and how to keep them", async () => {
    const lines: string[] = [];
    const service = await start({}, lines);
    await service.stop();
    expect(lines).toContainEqual(expect.stringMatching(/^warning: the audit log is kept in memory .*lost on restart.*OTP_AUDIT_URL/));
  });

  it("with OTP_AUDIT_URL=sqlite:<path>, audit rows survive a restart", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "otp-audit-url-")), "audit.db");
    const lines: string[] = [];
    const service = await start({ OTP_AUDIT_URL: `sqlite:${path}`, OTP_AUTO_MIGRATE: "true" }, lines);
    await service.stop();
    expect(lines.join("\n")).not.toMatch(/kept in memory/);
    await keepsRowsAcrossARestart({ OTP_AUDIT_URL: `sqlite:${path}` }, "sqlite-audit@example.com");
  });
});

describe("a Redis service with OTP_AUDIT_URL=postgres://…", async () => {
  const available = await requireService("postgres");
  let schema: FreshSchema;
  beforeAll(async () => {
    if (available) schema = await freshSchema("audit_url");
  });
  afterAll(async () => {
    if (available) await schema.drop();
  });

  it.skipIf(!available)(
    "refuses to start until `otp-actions migrate` creates the audit table there; then keeps rows across a restart",
    async () => {
      const env = { OTP_AUDIT_URL: schema.url };
      const refused = await start(env).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused?.message).toMatch(/missing audit table otp_audit, alert rules table otp_audit_alert_rules on postgres:\/\//);
      const migrated = await migrate({ OTP_STORE: `redis://127.0.0.1:${redis.port}`, ...env });
      expect(migrated.code).toBe(0);
      await keepsRowsAcrossARestart(env, "pg-audit@example.com");
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

function migrate(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "migrate"], {
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
