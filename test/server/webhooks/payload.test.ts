import { describe, expect, it } from "vitest";
import type { OtpEvent } from "../../../src/contracts/events.js";
import { backoffMs } from "../../../src/server/webhooks/dispatcher.js";
import { isEventPattern, matchesEvent } from "../../../src/server/webhooks/event-types.js";
import { MAX_WEBHOOK_BODY_BYTES, webhookBody } from "../../../src/server/webhooks/payload.js";
import { retryAfterOf } from "../../../src/server/webhooks/send.js";

const EVENT: OtpEvent & { id: string } = {
  type: "generated",
  id: "v-1",
  purpose: "login",
  identifier: "a***@example.com",
  identifierHash: "hash",
  channel: "email",
  at: Date.UTC(2026, 0, 1),
};

describe("webhook bodies", () => {
  it("carry the event's fields, and the identifier only when given it", () => {
    const masked = JSON.parse(webhookBody({ ...EVENT, metadata: { orderId: 7 } }, "verification.started", "e-1", undefined));
    expect(masked).toEqual({
      id: "e-1",
      type: "verification.started",
      createdAt: "2026-01-01T00:00:00.000Z",
      data: {
        verificationId: "v-1",
        purpose: "login",
        channel: "email",
        identifier: { masked: "a***@example.com", hash: "hash" },
        attempts: null,
        maxAttempts: null,
        reason: null,
        limit: null,
        retryAfterSeconds: null,
        metadata: { orderId: 7 },
        client: { ip: null, userAgent: null },
        traceId: null,
      },
    });
    const clear = JSON.parse(webhookBody(EVENT, "verification.started", "e-1", "alice@example.com"));
    expect(clear.data.identifier).toEqual({ masked: "a***@example.com", hash: "hash", value: "alice@example.com" });
  });

  it("stay within their bound: metadata that would pass it is left out", () => {
    const body = webhookBody(
      { ...EVENT, metadata: { note: "x".repeat(MAX_WEBHOOK_BODY_BYTES) } },
      "verification.started",
      "e-2",
      undefined,
    );
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES);
    expect(JSON.parse(body).data.metadata).toBeNull();
  });
});

describe("retry timing", () => {
  it("doubles from the base up to the bound, with half of each delay random", () => {
    expect([1, 2, 3, 4].map((attempts) => backoffMs(attempts, 1000, 300_000, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((attempts) => backoffMs(attempts, 1000, 300_000, () => 0.999999))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(40, 1000, 300_000, () => 0.999999)).toBe(300_000);
    expect(backoffMs(40, 1000, 300_000, () => 0)).toBe(150_000);
  });

  it("reads Retry-After as seconds or a date, and ignores what it cannot read", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfterOf("7", now)).toBe(7000);
    expect(retryAfterOf(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryAfterOf(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect(retryAfterOf("soon", now)).toBeUndefined();
    expect(retryAfterOf(null, now)).toBeUndefined();
  });
});

describe("event patterns", () => {
  it("accept the lifecycle types, their families and factor.*, and match by prefix", () => {
    for (const pattern of ["*", "verification.*", "factor.*", "factor.enrolled", "verification.locked_out"])
      expect(isEventPattern(pattern)).toBe(true);
    for (const pattern of ["verification.done", "factor", "factor.", "generated", "verification.**", ""])
      expect(isEventPattern(pattern)).toBe(false);
    expect(matchesEvent(["factor.*"], "factor.enrolled")).toBe(true);
    expect(matchesEvent(["factor.*"], "verification.started")).toBe(false);
    expect(matchesEvent(["verification.approved"], "verification.approved")).toBe(true);
    expect(matchesEvent(["verification.approved"], "verification.failed")).toBe(false);
  });
});
