/**
 * The rules an admin saves outlive a restart and reach every instance: in a table beside a SQLite
 * or Postgres audit log, or in a file. A save that fails answers 503 and changes nothing; saved
 * rules broken by hand are refused at start, the configuration's staying in force.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { memoryStore } from "../../src/stores/memory.js";
import { startService, type RunningService, type ServiceHooks } from "../../src/server/service.js";
import { closedPort } from "../helpers/network.js";
import { freshSchema, type FreshSchema } from "../helpers/postgres-schema.js";
import { requireService } from "../helpers/services.js";

const API_KEY = "alert-rules-admin-key-0123";
const KEYS = generateKey("ar");
const CONFIGURED = { name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 20 };
const SAVED = [{ name: "failed-spike", kind: "failed_checks", windowSeconds: 300, threshold: 50 }];

const running: RunningService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});

const tempDir = () => mkdtempSync(join(tmpdir(), "otp-alert-rules-"));

/** A development service (its tables made at start) with one configured rule. */
async function start(env: Record<string, string>, lines: string[] = [], hooks: ServiceHooks = {}): Promise<RunningService> {
  const configFile = join(tempDir(), "otp-actions.json");
  writeFileSync(configFile, JSON.stringify({ alerts: { rules: [CONFIGURED] } }));
  const config = loadConfig({ HOST: "127.0.0.1", PORT: "0", OTP_KEYS: KEYS, OTP_API_KEYS: `${API_KEY} admin`, ...env }, { configFile });
  const service = await startService(config, { say: (line) => lines.push(line), logger: false, ...hooks });
  running.push(service);
  return service;
}

async function stop(service: RunningService): Promise<void> {
  running.splice(running.indexOf(service), 1);
  await service.stop();
}

function call(service: RunningService, method: "GET" | "PUT", rules?: unknown) {
  return service.app.inject({
    method,
    url: "/v1/admin/alerts",
    headers: { authorization: `Bearer ${API_KEY}` },
    ...(rules !== undefined && { payload: { rules } as object }),
  });
}

const inForce = async (service: RunningService) => (await call(service, "GET")).json();

describe("alert rules beside a SQLite audit log", () => {
  it("are there after a restart on the same database; broken by hand, they are refused and the configuration's apply", async () => {
    const dir = tempDir();
    const env = { OTP_STORE: `sqlite:${join(dir, "otp.db")}` };
    const first = await start(env);
    expect(await inForce(first)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
    const put = await call(first, "PUT", SAVED);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ rules: SAVED, durable: true, source: "saved" });
    await stop(first);

    const lines: string[] = [];
    const second = await start(env, lines);
    expect(await inForce(second)).toMatchObject({ rules: SAVED, durable: true, source: "saved", updatedAt: put.json().updatedAt });
    expect(lines.join("\n")).toMatch(/alerts: the rules saved at .* in table otp_audit_alert_rules on sqlite:.*audit\.db are in force/);
    await stop(second);

    // An edit by hand that breaks them: a rule without its channel.
    const database = new BetterSqlite3(join(dir, "audit.db"));
    database
      .prepare("UPDATE otp_audit_alert_rules SET rules = ?, version = version + 1")
      .run(JSON.stringify([{ name: "b", kind: "sms_budget", windowSeconds: 60, threshold: 0.5, budget: 10 }]));
    database.close();
    const refusedLines: string[] = [];
    const third = await start(env, refusedLines);
    expect(await inForce(third)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
    expect(refusedLines.join("\n")).toMatch(
      /warning: alerts: the saved rules in table otp_audit_alert_rules .* \(version 2\) are refused: alert rule 'b' \(sms_budget\) needs a channel; the configuration's rules are in force/,
    );
  });
});

describe("alert rules in a file", () => {
  it("are written whole (mode 0600, nothing left beside), kept across a restart, and refused when broken by hand", async () => {
    const dir = tempDir();
    const file = join(dir, "rules", "alert-rules.json");
    const env = { OTP_STORE: "memory", OTP_ALERTS_RULES_FILE: file };
    const first = await start(env);
    expect(await inForce(first)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
    expect((await call(first, "PUT", SAVED)).statusCode).toBe(200);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, "rules"))).toEqual(["alert-rules.json"]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ version: 1, rules: SAVED });
    expect((await call(first, "PUT", [...SAVED, CONFIGURED])).statusCode).toBe(200);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ version: 2, rules: [...SAVED, CONFIGURED] });
    await stop(first);

    const second = await start(env);
    expect(await inForce(second)).toMatchObject({ rules: [...SAVED, CONFIGURED], source: "saved" });
    await stop(second);

    writeFileSync(file, '{ "version": 3, "rules": [ { "name": "half');
    const lines: string[] = [];
    const third = await start(env, lines);
    expect(await inForce(third)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
    expect(lines.join("\n")).toMatch(/warning: alerts: the saved rules in file .*alert-rules\.json .* are refused/);
  });

  it("a write that fails answers 503, leaves no partial file, and the rules in force stay", async () => {
    const dir = tempDir();
    const file = join(dir, "alert-rules.json");
    const service = await start({ OTP_STORE: "memory", OTP_ALERTS_RULES_FILE: file });
    expect((await call(service, "PUT", SAVED)).statusCode).toBe(200);

    // The rename fails, after the new file was written: the name is now a directory's (a
    // read-only directory would not stop root's write).
    renameSync(file, join(dir, "moved.json"));
    mkdirSync(file);
    writeFileSync(join(file, "keep"), "");
    const refused = await call(service, "PUT", [CONFIGURED]);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({
      error: "The alert rules could not be saved; the rules in force are unchanged.",
      error_code: "STORE_UNAVAILABLE",
    });
    expect(await inForce(service)).toMatchObject({ rules: SAVED, source: "saved" });
    expect(readdirSync(dir).sort()).toEqual(["alert-rules.json", "moved.json"]);
    expect(readdirSync(file)).toEqual(["keep"]);
  });
});

describe("alert rules with nowhere to keep them", () => {
  it("are replaced in memory, the answer says they are not durable, and a production start warns once", async () => {
    const service = await start({ OTP_STORE: "memory" });
    expect(await inForce(service)).toEqual({ rules: [CONFIGURED], durable: false, source: "configuration" });
    expect((await call(service, "PUT", SAVED)).json()).toEqual({ rules: SAVED, durable: false, source: "memory" });

    // Production on Redis keeps its audit log in memory (both stand-ins here: nothing is reached).
    const lines: string[] = [];
    await start({ NODE_ENV: "production", OTP_STORE: `redis://127.0.0.1:${await closedPort()}` }, lines, {
      store: memoryStore(),
      auditLog: memoryAuditLog(),
    });
    const warned = lines.filter((line) => line.includes("kept in this process's memory only"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^warning: .*OTP_ALERTS_RULES_FILE/);
  });
});

describe("alert rules beside a Postgres audit log", async () => {
  const available = await requireService("postgres");
  const schemas: FreshSchema[] = [];
  afterAll(async () => {
    await Promise.all(schemas.map((schema) => schema.drop()));
  });
  const fresh = async () => {
    const schema = await freshSchema("alert_rules");
    schemas.push(schema);
    return schema;
  };

  it.skipIf(!available)(
    "are there after a restart, and a PUT on one instance is in force on another after its next evaluation",
    async () => {
      const { url, name } = await fresh();
      const a = await start({ OTP_STORE: url });
      const logged: string[] = [];
      const b = await start({ OTP_STORE: url }, [], { logger: true, logStream: { write: (line) => logged.push(line) } });
      const put = await call(a, "PUT", SAVED);
      expect(put.json()).toMatchObject({ rules: SAVED, durable: true, source: "saved" });
      expect((await inForce(b)).rules).toEqual([CONFIGURED]);
      await b.alerter.evaluate();
      expect(await inForce(b)).toEqual({ rules: SAVED, durable: true, source: "saved", updatedAt: put.json().updatedAt });
      // Nothing new: the next evaluation reads the version only, and keeps what is in force.
      await b.alerter.evaluate();
      expect((await inForce(b)).rules).toEqual(SAVED);

      await stop(a);
      const again = await start({ OTP_STORE: url });
      expect(await inForce(again)).toMatchObject({ rules: SAVED, source: "saved" });

      // Broken by hand: B, reading again, puts the configuration's rules back in force, as a start would.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`UPDATE ${name}.otp_audit_alert_rules SET rules = '{"not": "a list"}', version = version + 1`);
      await client.end();
      await b.alerter.evaluate();
      expect(await inForce(b)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
      const warned = logged.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
      expect(warned.map((line) => line.msg)).toEqual([
        expect.stringMatching(/the saved rules in table otp_audit_alert_rules .* \(version 2\) are refused: rules must be array;/),
      ]);
    },
  );

  it.skipIf(!available)("a save the database does not take answers 503 and the rules in force stay", async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const service = await start({ OTP_STORE: "memory" }, lines, {
      auditLog: postgresAuditLog({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, timeoutMs: 1000 }),
    });
    expect(lines.join("\n")).toMatch(/warning: alerts: the saved rules could not be read from table otp_audit_alert_rules/);
    expect(await inForce(service)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
    const refused = await call(service, "PUT", SAVED);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({
      error: "The alert rules could not be saved; the rules in force are unchanged.",
      error_code: "STORE_UNAVAILABLE",
    });
    expect(await inForce(service)).toEqual({ rules: [CONFIGURED], durable: true, source: "configuration" });
  });
});
