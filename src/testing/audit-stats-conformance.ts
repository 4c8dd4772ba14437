/**
 * The stats part of the audit log conformance suite: one set of rows, and the exact answer every
 * log must give for it (counts per bucket, totals, channels, percentiles, top lists, filters).
 */
import { randomUUID } from "node:crypto";
import type { AuditLog, AuditRecord } from "../audit/audit-log.js";
import { OtpError } from "../core/errors.js";
import { vitestApi } from "./vitest-api.js";

const HOUR_MS = 3_600_000;
const IP_A = "198.51.100.1";
const IP_B = "203.0.113.9";

/** Registers the stats cases; `log` gives the suite's log once it is migrated. */
export function auditStatsConformance(log: () => AuditLog): void {
  const { beforeAll, describe, expect, it } = vitestApi();
  describe("stats", () => {
    const purpose = `stats-${randomUUID()}`;
    // Three whole hours, two days back: clear of the other cases' rows and of retention.
    const t0 = Math.floor((Date.now() - 2 * 86_400_000) / HOUR_MS) * HOUR_MS;
    const at = (offsetMs: number) => new Date(t0 + offsetMs);
    const row = (overrides: Partial<AuditRecord>): AuditRecord => ({
      eventId: randomUUID(),
      verificationId: null,
      action: "generated",
      status: "pending",
      purpose,
      channel: "sms",
      identifierHash: "h",
      identifierMasked: "+1415*****23",
      attempts: 0,
      metadata: null,
      clientIp: null,
      userAgent: null,
      traceId: null,
      durationMs: null,
      at: at(0),
      ...overrides,
    });
    const [v1, v2, v3, v4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const email = { channel: "email", identifierMasked: "u***@example.com" };
    const rows: AuditRecord[] = [
      row({ verificationId: v1, at: at(0) }),
      row({ verificationId: v1, action: "delivered", status: "delivered", at: at(1000) }),
      row({ verificationId: v1, action: "verified", status: "approved", durationMs: 5, at: at(30_000) }),
      row({ verificationId: v4, at: at(5 * 60_000) }),
      // Issued before the range, approved in it: its time to approve still counts.
      row({ verificationId: v2, at: at(-10 * 60_000) }),
      row({ verificationId: v2, action: "verified", status: "approved", durationMs: 7, at: at(HOUR_MS + 10_000) }),
      row({ verificationId: v3, ...email, at: at(HOUR_MS) }),
      row({ verificationId: v3, ...email, action: "delivery_failed", status: "DELIVERY_FAILED", at: at(HOUR_MS + 1000) }),
      row({
        verificationId: v3,
        ...email,
        action: "failed",
        status: "INVALID_OTP",
        clientIp: IP_A,
        durationMs: 3,
        at: at(HOUR_MS + 120_000),
      }),
      row({ verificationId: v3, ...email, action: "revoked", status: "canceled", at: at(HOUR_MS + 130_000) }),
      row({
        action: "failed",
        status: "INVALID_CONTEXT",
        channel: null,
        identifierMasked: null,
        clientIp: IP_A,
        durationMs: 1,
        at: at(2 * HOUR_MS),
      }),
      ...[
        { clientIp: IP_B, identifierMasked: "+4420*****11", metadata: { limit: "sends_per_identifier", retryAfterSeconds: 60 } },
        { clientIp: IP_A, identifierMasked: "+1416*****12", metadata: { limit: "sends_per_identifier" } },
        { clientIp: IP_B, identifierMasked: "+1415*****55" },
      ].map((fields, i) => row({ action: "rate_limited", status: "RATE_LIMITED", ...fields, at: at(2 * HOUR_MS + (i + 1) * 60_000) })),
      row({
        action: "rate_limited",
        status: "LOCKED_OUT",
        clientIp: IP_B,
        identifierMasked: "+1415*****99",
        metadata: { limit: "failures_per_identifier" },
        at: at(2 * HOUR_MS + 4 * 60_000),
      }),
      // Outside the query: the range's end (exclusive), and another purpose.
      row({ action: "failed", status: "INVALID_OTP", clientIp: IP_B, at: at(3 * HOUR_MS) }),
      row({ purpose: `${purpose}-other`, action: "failed", status: "INVALID_OTP", clientIp: IP_B, at: at(HOUR_MS) }),
    ];
    const range = { from: at(0), to: at(3 * HOUR_MS), purpose };
    const zero = { sent: 0, delivered: 0, deliveryFailed: 0, approved: 0, failedChecks: 0, lockouts: 0, rateLimited: 0 };

    beforeAll(async () => {
      await log().append(rows);
    });

    it("counts each kind of row per bucket, zero-filled, with totals and deliveries by channel", async () => {
      const stats = await log().stats({ ...range, bucket: "hour" });
      expect(stats.bucket).toBe("hour");
      expect(stats.series).toEqual([
        { ...zero, at: at(0), sent: 2, delivered: 1, approved: 1 },
        { ...zero, at: at(HOUR_MS), sent: 1, deliveryFailed: 1, approved: 1, failedChecks: 1 },
        { ...zero, at: at(2 * HOUR_MS), failedChecks: 1, rateLimited: 3, lockouts: 1 },
      ]);
      expect(stats.totals).toEqual({ sent: 3, delivered: 1, deliveryFailed: 1, approved: 2, failedChecks: 2, lockouts: 1, rateLimited: 3 });
      expect(stats.deliveryByChannel).toEqual([
        { channel: "email", delivered: 0, failed: 1 },
        { channel: "sms", delivered: 1, failed: 0 },
      ]);
      expect(stats.rateLimitedByLimit).toEqual([
        { limit: "sends_per_identifier", count: 2 },
        { limit: null, count: 1 },
      ]);
      expect(stats.conversionRate).toBeCloseTo(2 / 3, 12);
    });

    it("gives nearest-rank percentiles of the time to approve and of check durations", async () => {
      const stats = await log().stats(range);
      // v1 took 30 s; v2 was issued ten minutes before the range and approved 1 h 10 s into it.
      expect(stats.timeToApproveSeconds).toEqual({ p50: 30, p99: 4210 });
      expect(stats.checkLatencyMs).toEqual({ p50: 3, p99: 7 });
    });

    it("ranks IPs, number prefixes and countries by refusals, ties in code-point order, at most `top`", async () => {
      const stats = await log().stats(range);
      expect(stats.topIps).toEqual([
        { value: IP_A, count: 3 },
        { value: IP_B, count: 3 },
      ]);
      expect(stats.topPrefixes).toEqual([
        { value: "+1415", count: 2 },
        { value: "+1416", count: 1 },
        { value: "+4420", count: 1 },
      ]);
      expect(stats.topCountries).toEqual([
        { value: "US", count: 2 },
        { value: "CA", count: 1 },
        { value: "GB", count: 1 },
      ]);
      const one = await log().stats({ ...range, top: 1 });
      expect([one.topIps, one.topPrefixes, one.topCountries].map((list) => list.length)).toEqual([1, 1, 1]);
    });

    it("narrows to a channel, and answers an empty range with zeros and nulls", async () => {
      const sms = await log().stats({ ...range, channel: "sms", bucket: "hour" });
      expect(sms.totals).toEqual({ ...zero, sent: 2, delivered: 1, approved: 2, rateLimited: 3, lockouts: 1 });
      expect(sms.deliveryByChannel).toEqual([{ channel: "sms", delivered: 1, failed: 0 }]);
      const empty = await log().stats({ from: at(0), to: at(HOUR_MS), purpose: `${purpose}-none`, bucket: "minute" });
      expect(empty.series).toHaveLength(60);
      expect(empty.series.every((bucket) => bucket.sent === 0 && bucket.rateLimited === 0)).toBe(true);
      expect(empty.series[59]!.at).toEqual(at(59 * 60_000));
      expect(empty).toMatchObject({
        conversionRate: null,
        timeToApproveSeconds: { p50: null, p99: null },
        checkLatencyMs: { p50: null, p99: null },
        topIps: [],
        rateLimitedByLimit: [],
      });
    });

    it("counts the same when the range starts or ends within an hour", async () => {
      // Ends at 2 h 2 min 30 s: the third hour counts its rows up to there only.
      const early = await log().stats({ ...range, to: at(2 * HOUR_MS + 150_000), bucket: "hour" });
      expect(early.series.map(({ at: _, ...counts }) => counts)).toEqual([
        { ...zero, sent: 2, delivered: 1, approved: 1 },
        { ...zero, sent: 1, deliveryFailed: 1, approved: 1, failedChecks: 1 },
        { ...zero, failedChecks: 1, rateLimited: 2 },
      ]);
      expect(early.rateLimitedByLimit).toEqual([{ limit: "sends_per_identifier", count: 2 }]);
      // Starts at 30 min: each hour bucket spans two clock hours.
      const late = await log().stats({ ...range, from: at(30 * 60_000), bucket: "hour" });
      expect(late.series).toEqual([
        { ...zero, at: at(30 * 60_000), sent: 1, deliveryFailed: 1, approved: 1, failedChecks: 1 },
        { ...zero, at: at(90 * 60_000), failedChecks: 1, rateLimited: 3, lockouts: 1 },
        { ...zero, at: at(150 * 60_000) },
      ]);
    });

    it("counts the same when day buckets start within an hour (a boundary splits an hour's rows)", async () => {
      // Day buckets from 2 min past t0, a day back: the first boundary falls at t0 + 2 min, inside
      // the first hour, whose rows fall on both sides of it.
      const from = at(2 * 60_000 - 24 * HOUR_MS);
      const stats = await log().stats({ from, to: at(2 * 60_000 + 2 * 24 * HOUR_MS), purpose, bucket: "day" });
      expect(stats.series).toEqual([
        { ...zero, at: from, sent: 2, delivered: 1, approved: 1 },
        { ...zero, at: at(2 * 60_000), sent: 2, deliveryFailed: 1, approved: 1, failedChecks: 3, rateLimited: 3, lockouts: 1 },
        { ...zero, at: at(2 * 60_000 + 24 * HOUR_MS) },
      ]);
      expect(stats.rateLimitedByLimit).toEqual([
        { limit: "sends_per_identifier", count: 2 },
        { limit: null, count: 1 },
      ]);
    });

    it("picks the finest bucket that gives at most 200 buckets", async () => {
      const bucketFor = async (hours: number) => (await log().stats({ from: at(0), to: at(hours * HOUR_MS), purpose })).bucket;
      expect([await bucketFor(3), await bucketFor(24), await bucketFor(30 * 24)]).toEqual(["minute", "hour", "day"]);
      const day = await log().stats({ from: at(0), to: at(30 * 24 * HOUR_MS), purpose });
      expect(day.series).toHaveLength(30);
      expect(day.series[0]!.sent).toBe(3);
    });

    it("refuses a bad stats query with INVALID_REQUEST", async () => {
      const bad = [
        { from: at(HOUR_MS), to: at(0) },
        { from: at(0), to: at(401 * 24 * HOUR_MS), bucket: "day" },
        { from: at(0), to: at(HOUR_MS), bucket: "week" },
        { from: at(0), to: at(24 * HOUR_MS), bucket: "minute" },
        { from: at(0), to: at(HOUR_MS), top: 0 },
        { from: at(0), to: at(HOUR_MS), top: 51 },
        { from: new Date("nope"), to: at(HOUR_MS) },
        { from: at(0) },
        { from: at(0), to: at(HOUR_MS), purpose: "" },
      ];
      for (const query of bad) {
        const error = await log()
          .stats(query as never)
          .catch((caught: unknown) => caught);
        expect(error, JSON.stringify(query)).toBeInstanceOf(OtpError);
        expect((error as OtpError).code).toBe("INVALID_REQUEST");
      }
    });

    it("finds rows by client IP, exactly", async () => {
      const byIp = await log().query({ purpose, clientIp: IP_B });
      expect(byIp.rows).toHaveLength(4);
      expect(byIp.rows.every((found) => found.clientIp === IP_B)).toBe(true);
      expect((await log().query({ purpose, clientIp: "198.51.100" })).rows).toHaveLength(0);
    });
  });
}
