/**
 * GET /v1/verifications/{id}: its parameter, its answer and the errors it can give. Kept beside
 * the other route schemas' module rather than in it, so each route's schema can move on its own.
 */
import { VERIFICATION_ID_PATTERN } from "../../core/token.js";
import { errorSchema } from "../schemas.js";

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

export const verificationStatusResponse = {
  type: "object",
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
} as const;

export const verificationStatusErrors = {
  400: { ...errorSchema, description: "INVALID_REQUEST: the id is not of the form the service issues" },
  401: { ...errorSchema, description: "UNAUTHORIZED: missing or wrong API key" },
  404: { ...errorSchema, description: "NOT_FOUND: never issued, or its session ended and it was forgotten" },
  503: { ...errorSchema, description: "STORE_UNAVAILABLE: the store did not answer in time" },
} as const;
