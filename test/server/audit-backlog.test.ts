/**
 * The service's audit log is never silent: with its SQLite database write-locked by another
 * connection, the failing writes show in /metrics, in the log (folded) and in /health/otp; in
 * strict mode starts and checks are refused once the backlog is full, and work again after.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";

const API_KEY = "audit-backlog-api-key-0123";
const HEADERS = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };

interface Harness {
  service: RunningService;
  lines: Array<Record<string, unknown>>;
  codes: Map<string, string>;
  /** Holds the audit database's write lock from another connection until `unlock()`. */
  lock(): void;
  unlock(): void;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function harness(env: Record<string, string>): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "otp-audit-backlog-"));
  const codes = new Map<string, string>();
  const mailbox: Channel = {
    name: "email",
    accepts: "email",
    async deliver(message) {
      codes.set(message.to, message.code);
    },
  };
  const lines: Array<Record<string, unknown>> = [];
  const logStream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  const config = loadConfig({
    OTP_STORE: `sqlite:${join(dir, "otp.db")}`,
    PORT: "0",
    OTP_KEYS: generateKey("a1"),
    OTP_API_KEYS: `${API_KEY} admin`,
    OTP_DATA_DIR: dir,
    LOG_LEVEL: "warn",
    OTP_RATE_LIMITS: "off",
    ...env,
  });
  // A short busy timeout: a locked write fails in 50 ms instead of 5 s.
  const auditLog = sqliteAuditLog({ path: join(dir, "audit.db"), busyTimeoutMs: 50 });
  const service = await startService(config, { say: () => {}, channels: [mailbox], auditLog, logStream });
  let locker: Database.Database | undefined;
  const unlock = () => {
    if (!locker) return;
    locker.exec("COMMIT");
    locker.close();
    locker = undefined;
  };
  cleanups.push(async () => {
    unlock();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    service,
    lines,
    codes,
    lock() {
      locker = new Database(join(dir, "audit.db"));
      locker.exec("BEGIN IMMEDIATE");
    },
    unlock,
  };
}

let sequence = 0;
async function start(h: Harness): Promise<{ status: number; body: Record<string, unknown>; identifier: string }> {
  const identifier = `backlog${sequence++}@example.com`;
  const response = await fetch(`${h.service.url}/v1/verifications`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ identifier, purpose: "login" }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, identifier };
}

async function check(h: Harness, context: string, code: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.service.url}/v1/verifications/check`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ context, code, purpose: "login" }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function metric(h: Harness, name: string): Promise<number> {
  const text = await (await fetch(`${h.service.url}/metrics`, { headers: HEADERS })).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

async function health(h: Harness): Promise<{ httpStatus: number; status: string; audit: Record<string, unknown> }> {
  const response = await fetch(`${h.service.url}/health/otp`);
  const body = (await response.json()) as { status: string; checks: { audit: Record<string, unknown> } };
  return { httpStatus: response.status, status: body.status, audit: body.checks.audit };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("a write-locked SQLite audit log", () => {
  it("shows in /metrics, in the log (at most a line a second) and as degraded in /health/otp; all clears once it writes again", async () => {
    const h = await harness({ OTP_AUDIT_MAX_BUFFERED: "100" });
    expect((await start(h)).status).toBe(201);
    await h.service.audit.flush();
    expect(await health(h)).toMatchObject({ httpStatus: 200, status: "ok", audit: { ok: true, state: "ok", buffered: 0 } });
    expect(await metric(h, "otp_audit_buffered_rows")).toBe(0);
    expect(await metric(h, "otp_audit_write_failures_total")).toBe(0);

    h.lock();
    const lockedAt = Date.now();
    for (let i = 0; i < 10; i++) expect((await start(h)).status).toBe(201);
    await until(() => h.service.audit.writeFailures >= 3);

    // Each start is a generated and a delivered row: 20 held, past the threshold of 10.
    expect(await metric(h, "otp_audit_buffered_rows")).toBeGreaterThanOrEqual(20);
    expect(await metric(h, "otp_audit_write_failures_total")).toBeGreaterThanOrEqual(3);
    expect(await health(h)).toMatchObject({
      httpStatus: 200,
      status: "degraded",
      audit: { ok: true, state: "degraded", failing: true, degradedAt: 10, maxBuffered: 100 },
    });
    const failures = () => h.lines.filter((line) => line.msg?.toString().startsWith("audit log write failed"));
    expect(failures()[0]).toMatchObject({ level: 40, error: { message: expect.stringMatching(/locked/) } });
    // Writes fail every flush interval (250 ms); the lines are folded to one a second at most.
    await sleep(1200);
    const seconds = (Date.now() - lockedAt) / 1000;
    expect(failures().length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(failures().some((line) => typeof line.folded === "number" && (line.folded as number) >= 1)).toBe(true);
    expect(h.lines.some((line) => String(line.msg).startsWith("audit log behind"))).toBe(true);

    // Past its bound the oldest rows are dropped, and that is counted and logged too.
    for (let i = 0; i < 50; i++) expect((await start(h)).status).toBe(201);
    await until(async () => (await metric(h, "otp_audit_dropped_rows_total")) > 0);
    expect(h.service.audit.pending).toBeLessThanOrEqual(100);
    await until(() => h.lines.some((line) => String(line.msg).startsWith("audit rows dropped")));

    h.unlock();
    await until(() => h.service.audit.pending === 0);
    expect(await metric(h, "otp_audit_buffered_rows")).toBe(0);
    expect(await health(h)).toMatchObject({ httpStatus: 200, status: "ok", audit: { state: "ok", failing: false } });
  });

  it("strict: once the backlog is full, starts and checks are refused with 503 and nothing is dropped; both work again once it catches up", async () => {
    const h = await harness({ OTP_AUDIT_MAX_BUFFERED: "100", OTP_AUDIT_STRICT: "true" });
    const pending = await start(h);
    expect(pending.status).toBe(201);
    await h.service.audit.flush();

    h.lock();
    let refused: { status: number; body: Record<string, unknown> } | undefined;
    for (let i = 0; i < 80 && !refused; i++) {
      const answer = await start(h);
      if (answer.status !== 201) refused = answer;
    }
    expect(refused).toMatchObject({ status: 503, body: { error_code: "STORE_UNAVAILABLE" } });
    expect(h.service.audit.full).toBe(true);
    // The check of a code issued before: refused too, its attempt not used.
    const checked = await check(h, pending.body.context as string, h.codes.get(pending.identifier)!);
    expect(checked).toMatchObject({ status: 503, body: { error_code: "STORE_UNAVAILABLE" } });
    expect(await health(h)).toMatchObject({ httpStatus: 503, status: "fail", audit: { ok: false, state: "full", strict: true } });
    expect(await metric(h, "otp_audit_refused_total")).toBeGreaterThanOrEqual(2);
    expect(h.service.audit.dropped).toBe(0);
    expect(h.lines.find((line) => line.msg === "request failed")).toMatchObject({
      errorCode: "STORE_UNAVAILABLE",
      cause: expect.stringMatching(/audit/),
    });
    await until(() => h.lines.some((line) => String(line.msg).startsWith("audit log full")));

    h.unlock();
    await until(() => h.service.audit.pending === 0);
    expect((await check(h, pending.body.context as string, h.codes.get(pending.identifier)!)).status).toBe(200);
    expect((await start(h)).status).toBe(201);
    expect(await health(h)).toMatchObject({ httpStatus: 200, status: "ok" });
    expect(await metric(h, "otp_audit_dropped_rows_total")).toBe(0);
  });
});
