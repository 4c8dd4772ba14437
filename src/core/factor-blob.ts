/**
 * A TOTP factor as the app keeps it on its user record: everything about the factor that changes
 * only on enrolment, confirmation or new recovery codes (the secret, its parameters, the recovery
 * codes' keyed hashes), sealed with AES-256-GCM under the keyring. What changes on every use (the
 * last accepted step, used recovery codes) is in the ledger, keyed by the factor id.
 *
 * Wire format, base64url without padding, as the context token's:
 *   version(1) ‖ kidLength(1) ‖ kid ‖ nonce(12) ‖ ciphertext ‖ tag(16)
 * The header is the AAD. The key is a subkey of the keyring key's token key (HKDF, its own
 * label), so a context token never opens as a factor, nor a factor as a token.
 */
import { randomBytes } from "node:crypto";
import { OtpError } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { envelopeHeader, NONCE_BYTES, openEnvelope, sealEnvelope } from "./sealed-envelope.js";
import { TOTP_ALGORITHMS, TOTP_DIGITS, type TotpParameters } from "./totp.js";

/** The recovery codes of a factor: their generation and keyed hashes, never the codes. */
export interface RecoverySet {
  /** Raised with each new set; the ledger refuses codes of a set older than the newest it has seen. */
  generation: number;
  /** The set's own HMAC key (32 random bytes), sealed with the factor. */
  hashKey: Buffer;
  /** HMAC-SHA256(hashKey, code), truncated to 16 bytes, one per code. */
  hashes: Buffer[];
}

/** What a factor blob holds. */
export interface FactorClaims extends TotpParameters {
  /** Factor id: 16 random bytes, base64url. The ledger's marks and the guard's budgets are keyed by it. */
  id: string;
  /** The shared secret. */
  secret: Buffer;
  /** Steps either side of now whose codes are accepted (clock drift). */
  windowSteps: number;
  /** True once a first code confirmed the enrolment. */
  confirmed: boolean;
  /** The account name the app shows (the otpauth label). */
  account: string;
  /** The issuer the app shows. */
  issuer: string;
  /** The recovery codes, once made. */
  recovery: RecoverySet | null;
}

/** An opened factor and whether it should be sealed again under the current sealing key. */
export interface OpenedFactor {
  /** What the blob holds. */
  claims: FactorClaims;
  /** True when a key other than the sealing one sealed it. */
  stale: boolean;
}

const FACTOR_VERSION = 0x46;
/** Far above any real factor (about 700 characters with recovery codes): checked before any crypto. */
export const MAX_FACTOR_CHARS = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Seals `claims` under the keyring's sealing key. */
export function sealFactor(keyring: Keyring, claims: FactorClaims): string {
  const entry = keyring.sealing;
  const plain = Buffer.from(JSON.stringify(encode(claims)), "utf8");
  return sealEnvelope(FACTOR_VERSION, entry.kid, entry.factorKey, randomBytes(NONCE_BYTES), plain);
}

/**
 * Authenticates, then decodes. Every failure (not a string, too long, tampered, truncated, an
 * unknown key, another version) is the same INVALID_FACTOR.
 */
export function openFactor(keyring: Keyring, blob: unknown): OpenedFactor {
  if (typeof blob !== "string" || blob.length === 0 || blob.length > MAX_FACTOR_CHARS || !BASE64URL.test(blob)) throw invalidFactor();
  const raw = Buffer.from(blob, "base64url");
  if (raw.toString("base64url") !== blob) throw invalidFactor();
  const header = envelopeHeader(raw, 2);
  if (header === undefined || header.version !== FACTOR_VERSION) throw invalidFactor();
  const entry = keyring.get(header.kid);
  if (!entry) throw invalidFactor();
  let plain: Buffer;
  try {
    plain = openEnvelope(raw, header, entry.factorKey);
  } catch {
    throw invalidFactor();
  }
  return { claims: decode(plain), stale: header.kid !== keyring.sealing.kid };
}

function invalidFactor(): OtpError {
  return new OtpError("INVALID_FACTOR");
}

interface Encoded {
  v: 1;
  id: string;
  s: string;
  a: string;
  d: number;
  p: number;
  w: number;
  c: boolean;
  n: string;
  i: string;
  r: { g: number; k: string; h: string[] } | null;
}

function encode(claims: FactorClaims): Encoded {
  return {
    v: 1,
    id: claims.id,
    s: claims.secret.toString("base64url"),
    a: claims.algorithm,
    d: claims.digits,
    p: claims.periodSeconds,
    w: claims.windowSteps,
    c: claims.confirmed,
    n: claims.account,
    i: claims.issuer,
    r: claims.recovery && {
      g: claims.recovery.generation,
      k: claims.recovery.hashKey.toString("base64url"),
      h: claims.recovery.hashes.map((hash) => hash.toString("base64url")),
    },
  };
}

// The plaintext is authenticated, so encode() wrote it; the checks keep a future format bug from
// surfacing as anything but INVALID_FACTOR.
function decode(plain: Buffer): FactorClaims {
  let value: Encoded;
  try {
    value = JSON.parse(plain.toString("utf8")) as Encoded;
  } catch {
    throw invalidFactor();
  }
  const text = (field: unknown): field is string => typeof field === "string";
  const recovery = value?.r;
  const wellFormed =
    value?.v === 1 &&
    text(value.id) &&
    text(value.s) &&
    (TOTP_ALGORITHMS as readonly string[]).includes(value.a) &&
    (TOTP_DIGITS as readonly number[]).includes(value.d) &&
    Number.isSafeInteger(value.p) &&
    Number.isSafeInteger(value.w) &&
    typeof value.c === "boolean" &&
    text(value.n) &&
    text(value.i) &&
    (recovery === null ||
      (typeof recovery === "object" &&
        Number.isSafeInteger(recovery.g) &&
        text(recovery.k) &&
        Array.isArray(recovery.h) &&
        recovery.h.every(text)));
  if (!wellFormed) throw invalidFactor();
  return {
    id: value.id,
    secret: Buffer.from(value.s, "base64url"),
    algorithm: value.a as FactorClaims["algorithm"],
    digits: value.d as FactorClaims["digits"],
    periodSeconds: value.p,
    windowSteps: value.w,
    confirmed: value.c,
    account: value.n,
    issuer: value.i,
    recovery: recovery && {
      generation: recovery.g,
      hashKey: Buffer.from(recovery.k, "base64url"),
      hashes: recovery.h.map((hash) => Buffer.from(hash, "base64url")),
    },
  };
}
