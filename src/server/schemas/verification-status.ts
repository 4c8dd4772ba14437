/**
 * GET /v1/verifications/{id}: its parameter and its answer, the named schema VerificationStatus
 * (added to the app with the others in schemas.ts).
 */
import { VERIFICATION_ID_PATTERN } from "../../core/token.js";

export const verificationIdParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: {
    id: {
      type: "string",
      pattern: VERIFICATION_ID_PATTERN,
      description: "The `id` that starting the verification answered (22 base64url characters).",
    },
  },
} as const;

export const verificationStatus = {
  $id: "VerificationStatus",
  type: "object",
  description: "Where a verification stands, as the ledger holds it; never the code, the identifier or the metadata.",
  required: ["id", "status", "attempts", "sessionExpiresAt"],
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    status: {
      type: "string",
      enum: ["pending", "approved", "canceled", "replaced", "max_attempts"],
      description:
        "`replaced`: a resend issued a newer verification and the session goes on under it; `canceled`: canceled, or its delivery failed.",
    },
    attempts: { type: "integer", description: "Checks used, those a resend carried over included." },
    attemptsRemaining: {
      type: "integer",
      description: "Checks left, while pending; absent when purposes have different maximums.",
    },
    sessionExpiresAt: { type: "string", format: "date-time", description: "When the session ends and the verification is forgotten." },
  },
  examples: [
    { id: "q3Xw8mJfT0aYc1NnE5rB2g", status: "pending", attempts: 1, attemptsRemaining: 2, sessionExpiresAt: "2026-01-01T12:15:00.000Z" },
  ],
} as const;
