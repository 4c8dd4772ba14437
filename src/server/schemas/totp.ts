/**
 * The TOTP factor routes' named schemas (added to the app with the others in schemas.ts). The
 * factor is the sealed blob the app keeps on its user record; only the enrolment answers the secret.
 */
import { TOTP_ALGORITHMS, TOTP_DIGITS } from "../../core/totp.js";
// A cycle (schemas.ts lists these), harmless: `ref` is a function declaration, ready before either module runs.
import { ref } from "../schemas.js";

// No length limits: an empty or oversized factor is the engine's INVALID_FACTOR, as any bad one is.
const factor = { type: "string", description: "The sealed factor from the user's record, as the service last answered it." } as const;
const code = { type: "string", description: "The code the user typed." } as const;
const factorId = { type: "string", description: "The factor's id: what its audit rows and limits are keyed by." } as const;
const EXAMPLE_FACTOR = "RgFrMU8x…";
const EXAMPLE_ID = "Zk7pQ2sVb9LmN4xT1cHa0w";

const totpEnrol = {
  $id: "TotpEnrol",
  type: "object",
  description: "A new authenticator-app factor for one account.",
  required: ["account", "issuer"],
  additionalProperties: false,
  properties: {
    account: { type: "string", minLength: 1, maxLength: 200, description: "The account the app shows, such as the user's email; no ':'." },
    issuer: { type: "string", minLength: 1, maxLength: 100, description: "The service the app shows it under; no ':'." },
    algorithm: { type: "string", enum: TOTP_ALGORITHMS, description: "Default SHA1, the one every app supports." },
    digits: { type: "integer", enum: TOTP_DIGITS, description: "Default 6." },
    periodSeconds: { type: "integer", minimum: 10, maximum: 300, description: "Default 30." },
    windowSteps: { type: "integer", minimum: 0, maximum: 10, description: "Periods either side of now whose codes pass. Default 1." },
    client: ref("Client"),
  },
} as const;

const totpEnrolment = {
  $id: "TotpEnrolment",
  type: "object",
  description: "Shown once: the secret, its otpauth URI and QR code, and the factor to keep until a first code confirms it.",
  required: ["factorId", "factor", "secret", "uri", "qrCode"],
  additionalProperties: false,
  properties: {
    factorId,
    factor,
    secret: { type: "string", description: "The secret in base32, for typing into an app by hand." },
    uri: { type: "string", description: "The `otpauth://totp/…` URI the QR code holds." },
    qrCode: {
      type: "object",
      required: ["svg", "dataUrl"],
      additionalProperties: false,
      properties: {
        svg: { type: "string", description: "SVG markup." },
        dataUrl: { type: "string", description: "A PNG as a data: URL." },
      },
    },
  },
} as const;

const totpCheck = {
  $id: "TotpCheck",
  type: "object",
  description: "A code against a factor: the app's digits, or a recovery code.",
  required: ["factor", "code"],
  additionalProperties: false,
  properties: { factor, code, client: ref("Client") },
} as const;

const totpFactor = {
  $id: "TotpFactor",
  type: "object",
  description: "A factor to act on.",
  required: ["factor"],
  additionalProperties: false,
  properties: { factor, client: ref("Client") },
} as const;

const totpConfirmed = {
  $id: "TotpConfirmed",
  type: "object",
  description: "The factor is active: store this factor in place of the enrolment's.",
  required: ["status", "factorId", "factor"],
  additionalProperties: false,
  properties: { status: { type: "string", enum: ["confirmed"] }, factorId, factor },
  examples: [{ status: "confirmed", factorId: EXAMPLE_ID, factor: EXAMPLE_FACTOR }],
} as const;

const totpApproved = {
  $id: "TotpApproved",
  type: "object",
  description:
    "The code was right: the action may go ahead. `factor` is present when the factor was sealed again under the current key: store it.",
  required: ["status", "factorId"],
  additionalProperties: false,
  properties: { status: { type: "string", enum: ["approved"] }, factorId, factor },
  examples: [{ status: "approved", factorId: EXAMPLE_ID }],
} as const;

const totpRecoveryCodes = {
  $id: "TotpRecoveryCodes",
  type: "object",
  description: "Ten single-use codes, shown once, and the factor holding their hashes: store it; every earlier code stops working.",
  required: ["factorId", "factor", "codes"],
  additionalProperties: false,
  properties: {
    factorId,
    factor,
    codes: { type: "array", items: { type: "string" }, minItems: 10, maxItems: 10 },
  },
} as const;

/** The TOTP routes' named schemas. */
export const TOTP_SCHEMAS = [totpEnrol, totpEnrolment, totpCheck, totpFactor, totpConfirmed, totpApproved, totpRecoveryCodes] as const;
