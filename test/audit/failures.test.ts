import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { sqliteAuditLog } from "../../src/audit/sqlite.js";
import { createOtp, generateKey } from "../../src/index.js";
import { closedPort } from "../helpers/network.js";

const dir = mkdtempSync(join(tmpdir(), "otp-audit-fail-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an audit log that cannot write", () => {
  it("sqlite (worker): a write before migrate() rejects, the records stay buffered, and the next flush writes them", async () => {
    const log = sqliteAuditLog({ path: join(dir, "late.db") });
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { flushIntervalMs: 60_000 });
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expect(recorder.flush()).rejects.toThrow(/no such table/);
    expect(recorder.pending).toBe(1);
    await log.migrate();
    await recorder.close();
    expect((await log.query()).rows).toHaveLength(1);
    await log.close();
  });

  it("postgres unreachable: the write fails within its timeout, nothing crashes, nothing is lost from the buffer", async () => {
    const log = postgresAuditLog({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, timeoutMs: 500 });
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const errors: unknown[] = [];
    const recorder = attachAuditLog(otp, log, { flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const startedAt = Date.now();
    await expect(recorder.flush()).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(recorder.pending).toBe(1);
    await expect(recorder.close()).rejects.toThrow();
    await log.close();
  });
});
