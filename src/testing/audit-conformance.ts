/**
 * The one suite every audit log runs: ordering, filters, paging, CSV, retention, and the recorder
 * fed by a real engine (events emitted = rows stored, never a code).
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { AuditLog, AuditRecord } from "../audit/audit-log.js";
import { attachAuditLog } from "../audit/recorder.js";
import { auditRecordFromEvent } from "../audit/record-from-event.js";
import { auditFilterForIdentifier } from "../audit/search-filter.js";
import { OtpError } from "../core/errors.js";
import { generateKey } from "../core/keyring.js";
import { createOtp } from "../engine/create-otp.js";
import type { OtpEvent } from "../contracts/events.js";
import { auditStatsConformance } from "./audit-stats-conformance.js";
import { vitestApi } from "./vitest-api.js";

/** An audit log under test, and what to clean up after it. */
export interface AuditConformanceSubject {
  /** The log, empty. */
  log: AuditLog;
  /** Runs after the log is closed: drop tables, remove files. */
  teardown?: () => Promise<void>;
}

const DAY_MS = 86_400_000;

function record(overrides: Partial<AuditRecord> & { purpose: string }): AuditRecord {
  return {
    eventId: randomUUID(),
    verificationId: randomUUID(),
    action: "generated",
    status: "pending",
    channel: "email",
    identifierHash: "hash-a",
    identifierMasked: "u***@example.com",
    attempts: 0,
    metadata: null,
    clientIp: "203.0.113.7",
    userAgent: "test-agent",
    traceId: null,
    durationMs: null,
    at: new Date(),
    ...overrides,
  };
}

async function all(log: AuditLog, filter: Parameters<AuditLog["query"]>[0]): Promise<AuditRecord[]> {
  const rows: AuditRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.query({ ...filter, ...(cursor !== undefined && { cursor }) });
    rows.push(...page.rows);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return rows;
}

async function text(iterable: AsyncIterable<string>): Promise<string> {
  let out = "";
  for await (const chunk of Readable.from(iterable)) out += String(chunk);
  return out;
}

/** The audit log conformance suite (vitest): appends, queries, paging, CSV, purge. Call it in a test file. */
export function runAuditLogConformance(
  name: string,
  factory: () => Promise<AuditConformanceSubject>,
  options: { skip?: boolean } = {},
): void {
  const { afterAll, beforeAll, describe, expect, it } = vitestApi();
  describe.skipIf(options.skip === true)(`${name} audit log conformance`, () => {
    let subject: AuditConformanceSubject;
    let log: AuditLog;

    beforeAll(async () => {
      subject = await factory();
      log = subject.log;
      await log.migrate?.();
      await log.migrate?.();
    });
    afterAll(async () => {
      await log?.close();
      await subject?.teardown?.();
    });

    it("returns rows newest first, every field intact", async () => {
      const purpose = `p-${randomUUID()}`;
      const base = Date.now() - 60_000;
      const rows = [3, 1, 4, 0, 2].map((offset) => record({ purpose, at: new Date(base + offset * 1000), attempts: offset }));
      rows[0]!.metadata = { plan: "pro", nested: { ok: true } };
      rows[1]!.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      rows[2]!.durationMs = 2.375;
      await log.append(rows);
      const page = await log.query({ purpose });
      expect(page.rows.map((row) => row.attempts)).toEqual([4, 3, 2, 1, 0]);
      expect(page.nextCursor).toBeUndefined();
      expect(page.rows.find((row) => row.eventId === rows[0]!.eventId)).toEqual(rows[0]);
      expect(page.rows.find((row) => row.eventId === rows[1]!.eventId)).toEqual(rows[1]);
    });

    it("keeps every character a field can carry: tabs, line breaks, backslashes, quotes, escapes, any script", async () => {
      const purpose = `p-${randomUUID()}`;
      const awkward = "a\tb\nc\r\nd\\e\\N\\.\n\\.\n\"f\" 'g' \\u0000 é 漢 😀";
      const row = record({
        purpose,
        status: awkward,
        channel: awkward,
        identifierMasked: awkward,
        clientIp: awkward,
        userAgent: awkward,
        traceId: awkward,
        metadata: { [awkward]: awkward, list: [awkward, 1, null, true], nested: { "\\": "\\\\\\u0000" } },
      });
      const after = record({ purpose, at: new Date(row.at.getTime() - 1) });
      await log.append([row, after]);
      const rows = (await log.query({ purpose })).rows;
      expect(rows).toEqual([row, after]);
    });

    it("stores a record carrying a NUL or an unpaired surrogate, and the rest of its batch", async () => {
      // Postgres cannot hold either in text or JSON: such a character may come back as U+FFFD,
      // but the record is stored, the other characters are intact, and so is the batch.
      const purpose = `p-${randomUUID()}`;
      const row = record({ purpose, userAgent: "a\u0000b\ud800c\udc00", metadata: { nul: "x\u0000y", lone: "\udbff", "k\u0000": 1 } });
      const after = record({ purpose, at: new Date(row.at.getTime() - 1) });
      await log.append([row, after]);
      const rows = (await log.query({ purpose })).rows;
      expect(rows.map((stored) => stored.eventId)).toEqual([row.eventId, after.eventId]);
      // Each such character, kept or replaced, as "?"; in keys too.
      const oneChar = (value: unknown): unknown => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters a log may store otherwise.
        if (typeof value === "string") return value.replace(/[\u0000\ud800-\udfff\uFFFD]/g, "?");
        if (value === null || typeof value !== "object") return value;
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [oneChar(key), oneChar(inner)]));
      };
      expect(oneChar(rows[0]!.userAgent)).toBe("a?b?c?");
      expect(oneChar(rows[0]!.metadata)).toEqual(oneChar(row.metadata));
      expect(rows[1]).toEqual(after);
    });

    it("filters by identifier hashes, verification, action, status and time range", async () => {
      const purpose = `p-${randomUUID()}`;
      const t0 = Date.now() - 10 * 60_000;
      const verificationId = randomUUID();
      await log.append([
        record({ purpose, identifierHash: "h1", action: "generated", status: "pending", at: new Date(t0), verificationId }),
        record({ purpose, identifierHash: "h1", action: "failed", status: "INVALID_OTP", at: new Date(t0 + 1000), verificationId }),
        record({ purpose, identifierHash: "h2", action: "failed", status: "OTP_EXPIRED", at: new Date(t0 + 2000) }),
        record({ purpose, identifierHash: "h3", action: "verified", status: "approved", at: new Date(t0 + 3000) }),
        record({ purpose: `${purpose}-other`, identifierHash: "h1", action: "failed", status: "INVALID_OTP", at: new Date(t0 + 4000) }),
      ]);
      const count = async (filter: Parameters<AuditLog["query"]>[0]) => (await log.query({ purpose, ...filter })).rows.length;
      expect(await count({})).toBe(4);
      expect(await count({ identifierHash: "h1" })).toBe(2);
      expect(await count({ identifierHash: ["h1", "h2"] })).toBe(3);
      expect(await count({ verificationId })).toBe(2);
      expect(await count({ action: "failed" })).toBe(2);
      expect(await count({ action: ["failed", "verified"] })).toBe(3);
      expect(await count({ status: "INVALID_OTP" })).toBe(1);
      expect(await count({ from: new Date(t0 + 1000), to: new Date(t0 + 3000) })).toBe(2);
      expect(await count({ identifierHash: "nobody" })).toBe(0);
    });

    it("pages with a cursor through rows that share a timestamp, without gaps or repeats", async () => {
      const purpose = `p-${randomUUID()}`;
      const at = Date.now() - 5_000;
      const rows = Array.from({ length: 25 }, (_, i) => record({ purpose, at: new Date(at + Math.floor(i / 5)) }));
      await log.append(rows);
      const first = await log.query({ purpose, limit: 10 });
      expect(first.rows).toHaveLength(10);
      expect(first.nextCursor).toBeDefined();
      const seen = await all(log, { purpose, limit: 10 });
      expect(seen).toHaveLength(25);
      expect(new Set(seen.map((row) => row.eventId)).size).toBe(25);
      const times = seen.map((row) => row.at.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it("refuses a malformed filter with INVALID_REQUEST", async () => {
      // Times a JavaScript Date holds but a database may not: outside years 0-9999.
      const farCursor = Buffer.from(JSON.stringify([9e15, "e"])).toString("base64url");
      const malformed = [
        { cursor: "not-a-cursor" },
        { cursor: farCursor },
        { limit: 0 },
        { limit: 5000 },
        { action: "deleted" },
        { from: new Date("nope") },
        { from: new Date(-8.64e15) },
        { to: new Date("+010000-01-01T00:00:00Z") },
      ];
      for (const filter of malformed) {
        const error = await log.query(filter as never).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(OtpError);
        expect((error as OtpError).code).toBe("INVALID_REQUEST");
      }
    });

    it("exports CSV with a header, every row, and cells a spreadsheet will not execute", async () => {
      const purpose = `p-${randomUUID()}`;
      const rows = Array.from({ length: 7 }, (_, i) => record({ purpose, at: new Date(Date.now() - i * 1000) }));
      rows[0]!.userAgent = '=HYPERLINK("http://x","y"),z';
      await log.append(rows);
      const csv = await text(log.exportCsv({ purpose, limit: 3 }));
      const lines = csv.trimEnd().split("\r\n");
      expect(lines[0]).toBe(
        "event_id,at,action,status,verification_id,purpose,channel,identifier,identifier_hash,attempts,client_ip,user_agent,trace_id,metadata,actor",
      );
      expect(lines).toHaveLength(8);
      expect(lines[1]).toContain(`"'=HYPERLINK(""http://x"",""y""),z"`);
      expect(lines[1]).toContain(rows[0]!.eventId);
    });

    it("keeps the actor of an operator's action, and leaves it out of the user's own rows", async () => {
      const purpose = `p-${randomUUID()}`;
      const acted = { ...record({ purpose, at: new Date(Date.now() - 1000) }), action: "unlocked" as const, actor: "key_AbCdEf012345" };
      const own = record({ purpose });
      await log.append([acted, own]);
      const rows = (await log.query({ purpose })).rows;
      expect(rows.map((row) => row.actor ?? null)).toEqual([null, "key_AbCdEf012345"]);
      expect(rows[1]).toEqual(acted);
      const csv = await text(log.exportCsv({ purpose }));
      expect(csv.trimEnd().split("\r\n")[2]!.endsWith(",key_AbCdEf012345")).toBe(true);
    });

    it("deletes rows past retention in batches, and keeps the rest", async () => {
      const purpose = `p-${randomUUID()}`;
      const old = Date.now() - 400 * DAY_MS;
      const stale = Array.from({ length: 2_500 }, (_, i) => record({ purpose, at: new Date(old + i) }));
      const fresh = [record({ purpose, at: new Date(Date.now() - DAY_MS) })];
      await log.append(stale);
      await log.append(fresh);
      expect(await log.purge(365)).toBeGreaterThanOrEqual(2_500);
      const left = await all(log, { purpose, limit: 1000 });
      expect(left.map((row) => row.eventId)).toEqual([fresh[0]!.eventId]);
    });

    auditStatsConformance(() => log);

    describe("fed by the engine", () => {
      it("stores one row per event emitted, nothing lost on close, never the code", async () => {
        const purpose = `p-${randomUUID().slice(0, 8)}`;
        const otp = createOtp({ keys: generateKey("k1"), guard: false });
        const emitted: OtpEvent[] = [];
        otp.on("*", (event) => {
          if (event.purpose === purpose && auditRecordFromEvent(event)) emitted.push(event);
        });
        const recorder = attachAuditLog(otp, log, { batchSize: 16, flushIntervalMs: 10_000 });
        const codes: string[] = [];
        await Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            const client = { ip: `198.51.100.${i}`, userAgent: "audit-test" };
            const issued = await otp.generate({ identifier: `user${i}@example.com`, purpose, client });
            codes.push(issued.code);
            const wrong = issued.code === "000000" ? "111111" : "000000";
            await otp.verify({ code: wrong, context: issued.context, purpose, client }).catch(() => undefined);
            if (i % 4 === 0) await otp.revoke(issued.context);
            else if (i % 4 === 1)
              for (let k = 0; k < 3; k++)
                await otp.verify({ code: wrong, context: issued.context, purpose, client }).catch(() => undefined);
            else await otp.verify({ code: issued.code, context: issued.context, purpose, client });
          }),
        );
        await otp.verify({ code: "123456", context: "garbage", purpose }).catch(() => undefined);
        await recorder.close();
        expect(recorder.pending).toBe(0);
        expect(recorder.dropped).toBe(0);

        const rows = await all(log, { purpose, limit: 1000 });
        expect(rows).toHaveLength(emitted.length);
        const byAction = (action: string) => rows.filter((row) => row.action === action).length;
        expect(byAction("generated")).toBe(40);
        expect(byAction("verified")).toBe(20);
        expect(byAction("revoked")).toBe(10);
        expect(byAction("exhausted")).toBe(10);
        const failed = (status: string) => rows.filter((row) => row.action === "failed" && row.status === status).length;
        expect([failed("INVALID_OTP"), failed("MAX_RETRIES_EXCEEDED"), failed("INVALID_CONTEXT")]).toEqual([60, 10, 1]);
        expect(rows.find((row) => row.action === "failed" && row.verificationId !== null)).toMatchObject({ userAgent: "audit-test" });
        expect(rows.find((row) => row.action === "verified")).toMatchObject({ status: "approved", attempts: 2 });
        // Every check's rows carry how long it took; issue rows carry none.
        const checks = rows.filter((row) => row.action === "verified" || row.action === "failed");
        expect(checks.every((row) => typeof row.durationMs === "number" && row.durationMs >= 0)).toBe(true);
        expect(rows.filter((row) => row.action === "generated").every((row) => row.durationMs === null)).toBe(true);
        expect(rows.every((row) => row.identifierMasked === null || /^u\*\*\*@example\.com$/.test(row.identifierMasked))).toBe(true);
        const stored = JSON.stringify(rows);
        for (const code of codes) expect(stored).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));
        expect(stored).not.toContain("user1@example.com");
      });

      it("finds a person's rows by identifier across a key rotation", async () => {
        const purpose = `p-${randomUUID().slice(0, 8)}`;
        const oldKey = generateKey("old");
        const before = createOtp({ keys: oldKey, guard: false });
        const after = createOtp({ keys: [generateKey("new"), oldKey] });
        const recorders = [attachAuditLog(before, log), attachAuditLog(after, log)];
        await before.generate({ identifier: "Person@Example.com", purpose });
        await after.generate({ identifier: "person@example.com", purpose });
        await after.generate({ identifier: "someone-else@example.com", purpose });
        await Promise.all(recorders.map((recorder) => recorder.close()));
        const rows = await all(log, auditFilterForIdentifier(after, " PERSON@example.com ", { purpose }));
        expect(rows).toHaveLength(2);
      });
    });
  });
}
