/** Enrolment: a new secret from the CSPRNG, sealed into a factor; its otpauth URI and QR code. */
import { randomBytes } from "node:crypto";
import QRCode from "qrcode";
import { base32Encode } from "../../core/base32.js";
import { OtpError } from "../../core/errors.js";
import { sealFactor, type FactorClaims } from "../../core/factor-blob.js";
import { newVerificationId } from "../../core/token.js";
import { TOTP_ALGORITHMS, TOTP_DIGITS, type TotpAlgorithm } from "../../core/totp.js";
import { traceIdOf, type EngineContext } from "../context.js";
import { emit } from "../event-bus.js";
import { factorScope } from "./factor-check.js";
import type { TotpEnrolInput, TotpEnrolment } from "./types.js";

/** The secret is as long as the hash's output (RFC 4226 §4 asks for at least 160 bits; RFC 6238's seeds are these lengths). */
const SECRET_BYTES: Record<TotpAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };

function invalid(message: string): OtpError {
  return new OtpError("INVALID_REQUEST", { message });
}

/** A label part: the Key URI format separates issuer and account with ':', so neither may hold one. */
function labelPart(value: unknown, name: string, maxChars: number): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > maxChars || value.includes(":") || /\p{Cc}/u.test(value)) {
    throw invalid(`${name} must be 1-${maxChars} characters, without ':' or control characters.`);
  }
  return value;
}

function integerIn(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

/** The factor's claims from the caller's input; anything malformed is INVALID_REQUEST, said at once. */
function claimsOf(input: TotpEnrolInput): FactorClaims {
  if (typeof input !== "object" || input === null) throw invalid("The enrolment needs an account and an issuer.");
  const algorithm = input.algorithm ?? "SHA1";
  if (!TOTP_ALGORITHMS.includes(algorithm)) throw invalid(`algorithm must be one of ${TOTP_ALGORITHMS.join(", ")}.`);
  const digits = input.digits ?? 6;
  if (!TOTP_DIGITS.includes(digits)) throw invalid(`digits must be one of ${TOTP_DIGITS.join(", ")}.`);
  return {
    id: newVerificationId(),
    secret: randomBytes(SECRET_BYTES[algorithm]),
    algorithm,
    digits,
    periodSeconds: integerIn(input.periodSeconds, "periodSeconds", 30, 10, 300),
    windowSteps: integerIn(input.windowSteps, "windowSteps", 1, 0, 10),
    confirmed: false,
    account: labelPart(input.account, "account", 200),
    issuer: labelPart(input.issuer, "issuer", 100),
    recovery: null,
  };
}

/** The Key URI format authenticator apps read (issuer both in the label and as a parameter). */
export function otpauthUri(claims: FactorClaims): string {
  const label = `${encodeURIComponent(claims.issuer)}:${encodeURIComponent(claims.account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(claims.secret),
    issuer: claims.issuer,
    algorithm: claims.algorithm,
    digits: String(claims.digits),
    period: String(claims.periodSeconds),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, "%20")}`;
}

/** A new, unconfirmed factor, with what the user needs to add it to an app (shown once). */
export async function enrol(ctx: EngineContext, input: TotpEnrolInput): Promise<TotpEnrolment> {
  const traceId = traceIdOf(input?.traceId);
  const claims = claimsOf(input);
  const uri = otpauthUri(claims);
  const [svg, dataUrl] = await Promise.all([
    QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 }),
    QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 2 }),
  ]);
  const enrolment = {
    factorId: claims.id,
    factor: sealFactor(ctx.keyring, claims),
    secret: base32Encode(claims.secret),
    uri,
    qrCode: { svg, dataUrl },
  };
  emit(ctx, "factor_enrolled", factorScope(ctx, claims, input.client, traceId));
  return enrolment;
}
