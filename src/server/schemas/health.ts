/** The health answers' schemas: /health/otp's report of each check, and the probes' (/health/live, /health/ready). */
// A cycle (schemas.ts lists these), harmless: `ref` is a function declaration, ready before either module runs.
import { ref } from "../schemas.js";

/** One check of /health/otp. */
export const healthCheck = {
  $id: "HealthCheck",
  type: "object",
  description: "One check: `ok`, and what it found (`error` is a stable code when it failed).",
  required: ["ok"],
  properties: { ok: { type: "boolean" }, error: { type: "string" } },
  additionalProperties: true,
} as const;

/** What /health/otp answers: the overall status and each check by name. */
export const healthReport = {
  $id: "HealthReport",
  type: "object",
  required: ["status", "checkedAt", "checks"],
  properties: {
    status: {
      type: "string",
      enum: ["ok", "degraded", "fail"],
      description: "degraded (200): the audit log behind the service does not keep up, or outgoing webhooks drop events.",
    },
    checkedAt: { type: "string", format: "date-time", description: "When the checks behind this answer ran." },
    checks: {
      type: "object",
      required: ["keys", "roundTrip", "store", "channel"],
      properties: {
        keys: ref("HealthCheck"),
        roundTrip: ref("HealthCheck"),
        store: ref("HealthCheck"),
        channel: ref("HealthCheck"),
        audit: ref("HealthCheck"),
        webhooks: ref("HealthCheck"),
      },
      additionalProperties: ref("HealthCheck"),
    },
  },
  examples: [
    {
      status: "ok",
      checkedAt: "2026-01-01T12:00:00.000Z",
      checks: {
        keys: { ok: true, count: 1 },
        roundTrip: { ok: true, latencyMs: 3, limitMs: 100 },
        store: { ok: true, kind: "sqlite" },
        channel: { ok: true, channels: ["email"] },
      },
    },
  ],
} as const;

/** What /health/live and /health/ready answer: each check by name, a stable code on failure. */
export const probeReport = {
  $id: "ProbeReport",
  type: "object",
  required: ["status", "checkedAt", "checks"],
  properties: {
    status: { type: "string", enum: ["ok", "fail"] },
    checkedAt: { type: "string", format: "date-time" },
    checks: {
      type: "object",
      additionalProperties: {
        type: "object",
        required: ["ok"],
        properties: { ok: { type: "boolean" }, error: { type: "string" } },
        additionalProperties: true,
      },
    },
  },
} as const;
