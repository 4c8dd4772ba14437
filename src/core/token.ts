import { OtpError } from "./errors.js";
import type { KeyEntry, Keyring } from "./keyring.js";
import { MAX_CONTEXT_CHARS } from "./limits.js";
import { randomSlice } from "./random.js";
import { envelopeHeader, NONCE_BYTES, openEnvelope, sealEnvelope } from "./sealed-envelope.js";

/**
 * The context token: everything about a verification that never changes, sealed with
 * AES-256-GCM and held by the client. What changes (attempts, consumed, revoked) lives in the
 * ledger, keyed by `id`.
 *
 * Wire format, base64url without padding:
 *   version(1) ‖ kidLength(1) ‖ kid ‖ nonce(12) ‖ ciphertext ‖ tag(16)
 * The header (version and kid) is the AAD, so neither can be altered.
 *
 * Version 2 carries the code TTL, so that a resend issues its code for the window the first one
 * had. Version 1 (without it) is still opened: a token sealed just before a deploy must keep
 * working for the rest of its session; its resends fall back to the policy's TTL.
 */
export interface TokenClaims {
  /** Verification id: 16 random bytes, base64url. */
  id: string;
  /** First 16 bytes of HMAC-SHA256(codeMacKey, id ‖ code). Never the code. */
  codeMac: Buffer;
  /**
   * The keyring's identifier hash (base64url, 16 bytes), carried when it was computed at issue
   * (for events, limits or the audit log) so that a check needs no second HMAC; null otherwise.
   */
  identifierHash: string | null;
  /**
   * The keyed digest of the transaction the code is bound to (base64url, 16 bytes), or null: the
   * amount and payee themselves are never in the token.
   */
  transactionDigest: string | null;
  codeExpiresAtMs: number;
  sessionExpiresAtMs: number;
  /** How long each code of this session lives; null for a version-1 token, which lacks it. */
  codeTtlSeconds: number | null;
  maxAttempts: number;
  codeLength: number;
  /** How many codes this session has sent (1 for the first, +1 per resend). */
  sends: number;
  /** A decoy never verifies: issued when the app said the account does not exist. */
  decoy: boolean;
  identifier: string;
  purpose: string;
  channel: string;
  /** Metadata as JSON text, or null. */
  metadata: string | null;
}

/** What a new token carries: every claim, the code TTL included. */
export type ClaimsToSeal = TokenClaims & { codeTtlSeconds: number };

/** An opened token and the key that sealed it (whose MAC key checks the code). */
export interface OpenedToken {
  claims: TokenClaims;
  key: KeyEntry;
}

const TOKEN_VERSION = 2;
/** The version before the code TTL: opened (not sealed) so that its live sessions survive a deploy. */
const VERSION_WITHOUT_CODE_TTL = 1;
const ID_BYTES = 16;
export const CODE_MAC_BYTES = 16;
const IDENTIFIER_HASH_BYTES = 16;
/** Whole seconds in 3 bytes: up to 194 days, above the one-day cap on a code TTL. */
const CODE_TTL_BYTES = 3;
const FIXED_PLAIN_BYTES_V1 = ID_BYTES + CODE_MAC_BYTES + 6 * 2 + 4 + 1 + 1 + 1 + 2;
const FIXED_PLAIN_BYTES = FIXED_PLAIN_BYTES_V1 + CODE_TTL_BYTES;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FLAG_DECOY = 1;
const FLAG_IDENTIFIER_HASH = 2;
/** Set when a transaction digest follows the identifier hash; tokens without one keep their layout. */
const FLAG_TRANSACTION = 4;
const TRANSACTION_DIGEST_BYTES = 16;

/** What newVerificationId makes: 16 bytes in unpadded base64url, 22 characters. */
export const VERIFICATION_ID_PATTERN = "^[A-Za-z0-9_-]{22}$";

export function newVerificationId(): string {
  return randomSlice(ID_BYTES).toString("base64url");
}

export function sealToken(key: KeyEntry, claims: ClaimsToSeal): string {
  return sealEnvelope(TOKEN_VERSION, key.kid, key.encKey, randomSlice(NONCE_BYTES), encodeClaims(claims));
}

/**
 * Authenticates, then decodes. Every failure, whatever its cause, is the same INVALID_CONTEXT
 * with the same message, so a tampered token teaches an attacker nothing.
 */
export function openToken(keyring: Keyring, token: string): OpenedToken {
  if (token.length > MAX_CONTEXT_CHARS || !BASE64URL.test(token)) throw invalidContext();
  const raw = Buffer.from(token, "base64url");
  // base64url ignores the low bits of a final partial character: demand the canonical form so
  // that two different strings never open to the same token.
  if (raw.toString("base64url") !== token) throw invalidContext();
  const version = raw[0];
  const fixedPlainBytes =
    version === TOKEN_VERSION ? FIXED_PLAIN_BYTES : version === VERSION_WITHOUT_CODE_TTL ? FIXED_PLAIN_BYTES_V1 : undefined;
  const header = fixedPlainBytes === undefined ? undefined : envelopeHeader(raw, fixedPlainBytes);
  if (header === undefined) throw invalidContext();
  const key = keyring.get(header.kid);
  if (!key) throw invalidContext();
  let plain: Buffer;
  try {
    plain = openEnvelope(raw, header, key.encKey);
  } catch {
    throw invalidContext();
  }
  // The version is in the AAD: a version-2 token relabelled as version 1 fails the tag above.
  return { claims: decodeClaims(plain, version === TOKEN_VERSION), key };
}

function invalidContext(): OtpError {
  return new OtpError("INVALID_CONTEXT");
}

function encodeClaims(claims: ClaimsToSeal): Buffer {
  // Strings are written straight into one buffer: a token is built on every generate, and the
  // intermediate buffers showed up as garbage-collection time.
  const identifierBytes = Buffer.byteLength(claims.identifier, "utf8");
  const purposeBytes = Buffer.byteLength(claims.purpose, "utf8");
  const channelBytes = Buffer.byteLength(claims.channel, "utf8");
  const metadataBytes = claims.metadata === null ? 0 : Buffer.byteLength(claims.metadata, "utf8");
  if (identifierBytes > 255 || purposeBytes > 255 || channelBytes > 255 || metadataBytes > 0xffff) {
    throw new RangeError("token field too long");
  }
  if (!Number.isInteger(claims.codeTtlSeconds) || claims.codeTtlSeconds < 1 || claims.codeTtlSeconds >= 2 ** (8 * CODE_TTL_BYTES)) {
    throw new RangeError("token code TTL out of range");
  }
  const hashBytes = claims.identifierHash === null ? 0 : IDENTIFIER_HASH_BYTES;
  const transactionBytes = claims.transactionDigest === null ? 0 : TRANSACTION_DIGEST_BYTES;
  const out = Buffer.allocUnsafe(
    FIXED_PLAIN_BYTES + hashBytes + transactionBytes + identifierBytes + purposeBytes + channelBytes + metadataBytes,
  );
  let at = out.write(claims.id, 0, ID_BYTES, "base64url");
  at += claims.codeMac.copy(out, at, 0, CODE_MAC_BYTES);
  at = out.writeUIntBE(claims.codeExpiresAtMs, at, 6);
  at = out.writeUIntBE(claims.sessionExpiresAtMs, at, 6);
  at = out.writeUIntBE(claims.codeTtlSeconds, at, CODE_TTL_BYTES);
  at = out.writeUInt8(claims.maxAttempts, at);
  at = out.writeUInt8(claims.codeLength, at);
  at = out.writeUInt8(Math.min(claims.sends, 255), at);
  at = out.writeUInt8(
    (claims.decoy ? FLAG_DECOY : 0) | (hashBytes > 0 ? FLAG_IDENTIFIER_HASH : 0) | (transactionBytes > 0 ? FLAG_TRANSACTION : 0),
    at,
  );
  if (claims.identifierHash !== null) at += out.write(claims.identifierHash, at, IDENTIFIER_HASH_BYTES, "base64url");
  if (claims.transactionDigest !== null) at += out.write(claims.transactionDigest, at, TRANSACTION_DIGEST_BYTES, "base64url");
  at = out.writeUInt8(identifierBytes, at);
  at += out.write(claims.identifier, at, identifierBytes, "utf8");
  at = out.writeUInt8(purposeBytes, at);
  at += out.write(claims.purpose, at, purposeBytes, "utf8");
  at = out.writeUInt8(channelBytes, at);
  at += out.write(claims.channel, at, channelBytes, "utf8");
  at = out.writeUInt16BE(metadataBytes, at);
  if (claims.metadata !== null) out.write(claims.metadata, at, metadataBytes, "utf8");
  return out;
}

function decodeClaims(plain: Buffer, hasCodeTtl: boolean): TokenClaims {
  // The plaintext is authenticated, so it was written by encodeClaims; the bounds checks only
  // keep a future format bug from turning into an exception other than INVALID_CONTEXT. Fields
  // are read at offsets from the one buffer (no slice per field): this runs on every check.
  let at = 0;
  /** Where a field of `length` bytes starts; moves past it. */
  const field = (length: number): number => {
    const start = at;
    at += length;
    if (at > plain.length) throw invalidContext();
    return start;
  };
  const text = (length: number, encoding: "utf8" | "base64url"): string => {
    const start = field(length);
    return plain.toString(encoding, start, at);
  };
  const id = text(ID_BYTES, "base64url");
  // A view, not a copy: the plaintext buffer belongs to this token alone.
  const codeMacAt = field(CODE_MAC_BYTES);
  const codeMac = plain.subarray(codeMacAt, at);
  const codeExpiresAtMs = plain.readUIntBE(field(6), 6);
  const sessionExpiresAtMs = plain.readUIntBE(field(6), 6);
  const codeTtlSeconds = hasCodeTtl ? plain.readUIntBE(field(CODE_TTL_BYTES), CODE_TTL_BYTES) : null;
  const counts = field(4);
  const maxAttempts = plain[counts]!;
  const codeLength = plain[counts + 1]!;
  const sends = plain[counts + 2]!;
  const flags = plain[counts + 3]!;
  const identifierHash = (flags & FLAG_IDENTIFIER_HASH) !== 0 ? text(IDENTIFIER_HASH_BYTES, "base64url") : null;
  const transactionDigest = (flags & FLAG_TRANSACTION) !== 0 ? text(TRANSACTION_DIGEST_BYTES, "base64url") : null;
  const identifier = text(plain[field(1)]!, "utf8");
  const purpose = text(plain[field(1)]!, "utf8");
  const channel = text(plain[field(1)]!, "utf8");
  const metadataLength = plain.readUInt16BE(field(2));
  const metadata = metadataLength === 0 ? null : text(metadataLength, "utf8");
  if (at !== plain.length) throw invalidContext();
  return {
    id,
    codeMac,
    identifierHash,
    transactionDigest,
    codeExpiresAtMs,
    sessionExpiresAtMs,
    codeTtlSeconds,
    maxAttempts,
    codeLength,
    sends,
    decoy: (flags & FLAG_DECOY) !== 0,
    identifier,
    purpose,
    channel,
    metadata,
  };
}
