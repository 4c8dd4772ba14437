/**
 * The one schema source for the API: Fastify validates requests and serialises responses with
 * these, and /openapi.json is generated from the same objects. Each named schema has an `$id`
 * and is added to the app once (`addSharedSchemas`); routes point at it with `ref("Name")`, and
 * the document lists it under `components.schemas` by that name, so generated clients get one
 * named type per schema.
 */
import type { FastifyInstance } from "fastify";
import { AUDIT_ACTIONS, MAX_PAGE_SIZE } from "../audit/audit-log.js";
import { ERRORS, type ErrorCode } from "../core/errors.js";
import { LOCALE_PATTERN, MAX_CONTEXT_CHARS, NAME_PATTERN } from "../core/limits.js";
import { auditStats, auditStatsQuery } from "./schemas/audit-stats.js";
import { transaction } from "./schemas/transaction.js";
import { TOTP_SCHEMAS } from "./schemas/totp.js";
import { healthCheck, healthReport, probeReport } from "./schemas/health.js";
import { verificationStatus } from "./schemas/verification-status.js";
import { liftLockout, lockoutLifted } from "./schemas/admin.js";
import { alertRuleSchema, alertRulesInForceSchema, alertRulesSchema, firingAlertsSchema } from "./alerts/rules.js";

/** Every code the registry can answer with: the Error schema's `error_code` enum. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** A pointer to a shared schema, for a route's body or response, or inside another schema. */
export function ref<const N extends string>(name: N): { $ref: `${N}#` } {
  return { $ref: `${name}#` };
}

// No minLength: an empty context is left to the engine, which calls it MISSING_FIELDS as it does
// an empty code (the schema would call it INVALID_REQUEST).
const context = {
  type: "string",
  description: `The sealed context token from the previous step (at most ${MAX_CONTEXT_CHARS} characters).`,
} as const;
const purpose = {
  type: "string",
  pattern: NAME_PATTERN,
  description: "What the code protects, such as `login` or `password_reset`.",
} as const;
const identifier = {
  type: "string",
  minLength: 1,
  maxLength: 320,
  description: "Email address or phone number (E.164 or national with a default country).",
} as const;
const timestamp = { type: "string", format: "date-time" } as const;
const metadata = {
  type: "object",
  description: "Your data, sealed into the context and returned on approval (at most 5 KB).",
  additionalProperties: true,
} as const;
const locale = {
  type: "string",
  pattern: LOCALE_PATTERN,
  description: "BCP 47 language tag for the message.",
} as const;

/**
 * A request body: an object that refuses a field it does not declare (a misspelt field is a 400,
 * never silently ignored), with its required fields first when it has any.
 */
function requestBody(id: string, description: string, properties: Record<string, unknown>, required?: readonly string[]) {
  return {
    $id: id,
    description,
    type: "object",
    ...(required !== undefined && { required }),
    additionalProperties: false,
    properties,
  } as const;
}

const EXAMPLE_CONTEXT = "v1.eyJraWQiOiJrMSJ9.c2VhbGVk";
const EXAMPLE_ID = "q3Xw8mJfT0aYc1NnE5rB2g";
const EXAMPLE_TIME = "2026-01-01T12:00:00.000Z";

const client = {
  $id: "Client",
  type: "object",
  description: "The end user's address and browser, for rate limits and audit.",
  additionalProperties: false,
  properties: {
    ip: { type: "string", maxLength: 45, anyOf: [{ format: "ipv4" }, { format: "ipv6" }] },
    userAgent: { type: "string", maxLength: 512 },
  },
} as const;

const error = {
  $id: "Error",
  type: "object",
  description: "Every failure, in one shape: branch on `error_code`; `error` is for people.",
  required: ["error", "error_code"],
  properties: {
    error: { type: "string" },
    error_code: { type: "string", enum: ERROR_CODES },
    attempts_remaining: {
      type: "integer",
      description: "Attempts left on this verification (INVALID_OTP, and CONTEXT_MISMATCH for another transaction).",
    },
    retry_after_seconds: { type: "integer", description: "Seconds until a retry can succeed (RATE_LIMITED); also sent as Retry-After." },
    limit: { type: "string", description: "Which limit refused the request (RATE_LIMITED)." },
    context: {
      type: "string",
      description: "The context to send with the next attempt (INVALID_OTP, and CONTEXT_MISMATCH for another transaction).",
    },
  },
  examples: [{ error: ERRORS.INVALID_OTP.message, error_code: "INVALID_OTP", attempts_remaining: 4, context: EXAMPLE_CONTEXT }],
} as const;

const startVerification = requestBody(
  "StartVerification",
  "Who to send a code to, and what it protects.",
  {
    identifier,
    purpose,
    channel: { type: "string", pattern: NAME_PATTERN, description: "Channel name; by default the one for the identifier's kind." },
    metadata,
    locale,
    transaction: ref("Transaction"),
    client: ref("Client"),
  },
  ["identifier", "purpose"],
);

const verification = {
  $id: "Verification",
  type: "object",
  description: "A pending verification: a code is on its way; keep `context` for the check.",
  required: ["id", "context", "status", "channel", "expiresAt", "sessionExpiresAt"],
  properties: {
    id: { type: "string" },
    context,
    status: { type: "string", enum: ["pending"] },
    channel: { type: "string" },
    expiresAt: { ...timestamp, description: "When this code stops working." },
    sessionExpiresAt: { ...timestamp, description: "When the verification ends, resends included." },
  },
  examples: [
    {
      id: EXAMPLE_ID,
      context: EXAMPLE_CONTEXT,
      status: "pending",
      channel: "email",
      expiresAt: EXAMPLE_TIME,
      sessionExpiresAt: "2026-01-01T12:15:00.000Z",
    },
  ],
} as const;

const checkVerification = requestBody(
  "CheckVerification",
  "The code the user typed, with the context it was issued under.",
  {
    context,
    code: { type: "string", maxLength: 64, description: "The digits the user typed." },
    purpose: { ...purpose, description: "The purpose the code is checked for: the context must have been issued for it." },
    identifier: { ...identifier, description: "When given, the context must have been issued to this identifier." },
    transaction: ref("Transaction"),
    client: ref("Client"),
  },
  ["context", "code", "purpose"],
);

const approved = {
  $id: "Approved",
  type: "object",
  description: "The code was right: the action may go ahead.",
  required: ["status", "id", "identifier", "purpose", "metadata"],
  properties: {
    status: { type: "string", enum: ["approved"] },
    id: { type: "string" },
    identifier: { type: "string" },
    purpose: { type: "string" },
    metadata: { type: ["object", "null"], additionalProperties: true },
  },
  examples: [{ status: "approved", id: EXAMPLE_ID, identifier: "user@example.com", purpose: "login", metadata: { userId: 42 } }],
} as const;

const resendVerification = requestBody(
  "ResendVerification",
  "The context of a pending verification.",
  { context, locale, transaction: ref("Transaction"), client: ref("Client") },
  ["context"],
);

const cancelVerification = requestBody("CancelVerification", "The context of a pending verification.", { context }, ["context"]);

const canceled = {
  $id: "Canceled",
  type: "object",
  required: ["id", "status"],
  properties: { id: { type: "string" }, status: { type: "string", enum: ["canceled"] } },
  examples: [{ id: EXAMPLE_ID, status: "canceled" }],
} as const;

const auditAction = { $id: "AuditAction", type: "string", enum: AUDIT_ACTIONS } as const;
const nullableString = { type: ["string", "null"] } as const;

/** The filters both audit routes take. */
const auditFilterProperties = {
  identifier: {
    ...identifier,
    description: "One person's rows: normalised and hashed as the engine does, under every key (rows from before a rotation too).",
  },
  identifierKind: { type: "string", enum: ["email", "phone"], description: "How to read `identifier`; inferred when absent." },
  identifierHash: {
    type: "string",
    minLength: 1,
    maxLength: 256,
    description:
      "One person's rows by the hash a row or an export shows (`identifierHash`, `identifier_hash`); `identifier` wins when both are given.",
  },
  verificationId: {
    type: "string",
    minLength: 1,
    maxLength: 256,
    description: "Not indexed alone: combine with `identifier` or a time range on a large log.",
  },
  purpose: { ...purpose, description: "Rows for this purpose." },
  action: { anyOf: [ref("AuditAction"), { type: "array", items: ref("AuditAction"), minItems: 1, maxItems: AUDIT_ACTIONS.length }] },
  status: { type: "string", minLength: 1, maxLength: 256, description: "An error code, or pending, approved, canceled, delivered." },
  clientIp: { type: "string", minLength: 1, maxLength: 256, description: "Rows from this client IP address, exactly as recorded." },
  from: { ...timestamp, description: "Inclusive." },
  to: { ...timestamp, description: "Exclusive." },
} as const;

const auditQuery = requestBody("AuditQuery", "Which rows, and which page.", {
  ...auditFilterProperties,
  limit: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, description: "Rows per page (default 100)." },
  cursor: { type: "string", minLength: 1, maxLength: 512, description: "`nextCursor` of the previous page." },
});

const auditExport = requestBody("AuditExport", "Which rows.", auditFilterProperties);

const auditRecordExample = {
  eventId: "0193b5e2-7c4b-7a11-8c3d-5e6f7a8b9c0d",
  verificationId: EXAMPLE_ID,
  action: "verified",
  status: "approved",
  purpose: "login",
  channel: "email",
  identifierHash: "k1:3q2+7w==",
  identifierMasked: "u***@example.com",
  attempts: 1,
  metadata: null,
  clientIp: "203.0.113.7",
  userAgent: "Mozilla/5.0",
  traceId: "req-1",
  durationMs: 3.2,
  at: EXAMPLE_TIME,
};

const auditRecord = {
  $id: "AuditRecord",
  type: "object",
  description: "One event of one verification, as the audit log keeps it.",
  required: [
    "eventId",
    "verificationId",
    "action",
    "status",
    "purpose",
    "channel",
    "identifierHash",
    "identifierMasked",
    "attempts",
    "metadata",
    "clientIp",
    "userAgent",
    "traceId",
    "durationMs",
    "at",
  ],
  properties: {
    eventId: { type: "string" },
    verificationId: nullableString,
    action: ref("AuditAction"),
    status: { type: "string" },
    purpose: nullableString,
    channel: nullableString,
    identifierHash: nullableString,
    identifierMasked: { ...nullableString, description: "For display: u***@example.com, +1415*****23." },
    attempts: { type: ["integer", "null"] },
    metadata: { type: ["object", "null"], additionalProperties: true },
    clientIp: nullableString,
    userAgent: nullableString,
    traceId: { ...nullableString, description: "The X-Request-Id of the request that caused the row." },
    durationMs: {
      type: ["number", "null"],
      description: "How long the check took in the engine, in ms (verified and failed rows of a check).",
    },
    at: timestamp,
    actor: { ...nullableString, description: "Who took an operator's action (an API key's id, `key_…`); null for the user's own." },
  },
  examples: [auditRecordExample],
} as const;

const auditPage = {
  $id: "AuditPage",
  type: "object",
  required: ["rows"],
  properties: {
    rows: { type: "array", items: ref("AuditRecord"), description: "Newest first." },
    nextCursor: { type: "string", description: "Present when more rows match." },
  },
  examples: [{ rows: [auditRecordExample], nextCursor: "eyJhdCI6IjIwMjYifQ" }],
} as const;

/** Every named schema, in the order the document lists them. */
export const SHARED_SCHEMAS = [
  error,
  client,
  startVerification,
  verification,
  checkVerification,
  approved,
  resendVerification,
  cancelVerification,
  canceled,
  auditAction,
  auditQuery,
  auditExport,
  auditRecord,
  auditPage,
  auditStatsQuery,
  auditStats,
  healthCheck,
  healthReport,
  probeReport,
  verificationStatus,
  transaction,
  ...TOTP_SCHEMAS,
  liftLockout,
  lockoutLifted,
  alertRuleSchema,
  alertRulesSchema,
  alertRulesInForceSchema,
  firingAlertsSchema,
] as const;

/** Adds every named schema to the app, before any route that points at one. */
export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}
