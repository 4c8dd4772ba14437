/**
 * The operator's actions under /v1/admin: lifting a lockout and cancelling a verification by id.
 * Named schemas, added to the app with the others in schemas.ts.
 */
import { NAME_PATTERN } from "../../core/limits.js";

export const liftLockout = {
  $id: "LiftLockout",
  type: "object",
  description:
    "Whose lockouts to lift: exactly one of `identifier` (normalised as the engine does, `defaultCountry` included) and `identifierHash` (as audit rows show it), and the purpose.",
  required: ["purpose"],
  additionalProperties: false,
  properties: {
    identifier: { type: "string", minLength: 1, maxLength: 320, description: "Email address or phone number, as the user typed it." },
    identifierKind: { type: "string", enum: ["email", "phone"], description: "How to read `identifier`; inferred when absent." },
    identifierHash: { type: "string", pattern: "^[A-Za-z0-9_-]{22}$", description: "The identifier's keyed hash, from an audit row." },
    purpose: { type: "string", pattern: NAME_PATTERN, description: "The purpose whose lockouts are lifted." },
  },
  oneOf: [{ required: ["identifier"] }, { required: ["identifierHash"] }],
  examples: [
    { identifier: "+14155550123", purpose: "login" },
    { identifierHash: "Qm9vdHN0cmFwSGFzaDEyMw", purpose: "login" },
  ],
} as const;

export const lockoutLifted = {
  $id: "LockoutLifted",
  type: "object",
  description: "The lockouts of the identifier + purpose are lifted and its runs of failures ended; each IP's own budget stays.",
  required: ["status", "purpose", "identifierHash", "lifted"],
  additionalProperties: false,
  properties: {
    status: { type: "string", enum: ["unlocked"] },
    purpose: { type: "string" },
    identifierHash: { type: "string", description: "The identifier's hash under the sealing key (or the one given)." },
    lifted: {
      type: "boolean",
      description: "False when the service runs without a guard that can lift lockouts: there was nothing to lift.",
    },
  },
  examples: [{ status: "unlocked", purpose: "login", identifierHash: "Qm9vdHN0cmFwSGFzaDEyMw", lifted: true }],
} as const;
