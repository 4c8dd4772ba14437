import { createCipheriv, createDecipheriv } from "node:crypto";
import { OtpError } from "./errors.js";
import type { KeyEntry, Keyring } from "./keyring.js";
import { MAX_CONTEXT_CHARS } from "./limits.js";
import { randomSlice } from "./random.js";

/**
 * The context token: everything about a verification that never changes, sealed with
 * AES-256-GCM and held by the client. What changes (attempts, consumed, revoked) lives in the
 * ledger, keyed by `id`.
 *
 * Wire format, base64url without padding:
 *   version(1) ‖ kidLength(1) ‖ kid ‖ nonce(12) ‖ ciphertext ‖ tag(16)
 * The header (version and kid) is the AAD, so neither can be altered.
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
  codeExpiresAtMs: number;
  sessionExpiresAtMs: number;
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

/** An opened token and the key that sealed it (whose MAC key checks the code). */
export interface OpenedToken {
  claims: TokenClaims;
  key: KeyEntry;
}

const TOKEN_VERSION = 1;
const ID_BYTES = 16;
export const CODE_MAC_BYTES = 16;
const IDENTIFIER_HASH_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FIXED_PLAIN_BYTES = ID_BYTES + CODE_MAC_BYTES + 6 * 2 + 4 + 1 + 1 + 1 + 2;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FLAG_DECOY = 1;
const FLAG_IDENTIFIER_HASH = 2;

export function newVerificationId(): string {
  return randomSlice(ID_BYTES).toString("base64url");
}

export function sealToken(key: KeyEntry, claims: TokenClaims): string {
  const header = Buffer.allocUnsafe(2 + key.kid.length);
  header[0] = TOKEN_VERSION;
  header[1] = key.kid.length;
  header.write(key.kid, 2, "latin1");
  const nonce = randomSlice(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.encKey, nonce);
  cipher.setAAD(header);
  const sealed = Buffer.concat([header, nonce, cipher.update(encodeClaims(claims)), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString("base64url");
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
  const kidLength = raw[1] ?? 0;
  const headerLength = 2 + kidLength;
  if (raw[0] !== TOKEN_VERSION || kidLength === 0 || raw.length < headerLength + NONCE_BYTES + FIXED_PLAIN_BYTES + TAG_BYTES) {
    throw invalidContext();
  }
  const key = keyring.get(raw.toString("latin1", 2, headerLength));
  if (!key) throw invalidContext();
  const nonce = raw.subarray(headerLength, headerLength + NONCE_BYTES);
  const ciphertext = raw.subarray(headerLength + NONCE_BYTES, raw.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.encKey, nonce);
    decipher.setAAD(raw.subarray(0, headerLength));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw invalidContext();
  }
  return { claims: decodeClaims(plain), key };
}

function invalidContext(): OtpError {
  return new OtpError("INVALID_CONTEXT");
}

function encodeClaims(claims: TokenClaims): Buffer {
  // Strings are written straight into one buffer: a token is built on every generate, and the
  // intermediate buffers showed up as garbage-collection time.
  const identifierBytes = Buffer.byteLength(claims.identifier, "utf8");
  const purposeBytes = Buffer.byteLength(claims.purpose, "utf8");
  const channelBytes = Buffer.byteLength(claims.channel, "utf8");
  const metadataBytes = claims.metadata === null ? 0 : Buffer.byteLength(claims.metadata, "utf8");
  if (identifierBytes > 255 || purposeBytes > 255 || channelBytes > 255 || metadataBytes > 0xffff) {
    throw new RangeError("token field too long");
  }
  const hashBytes = claims.identifierHash === null ? 0 : IDENTIFIER_HASH_BYTES;
  const out = Buffer.allocUnsafe(FIXED_PLAIN_BYTES + hashBytes + identifierBytes + purposeBytes + channelBytes + metadataBytes);
  let at = out.write(claims.id, 0, ID_BYTES, "base64url");
  at += claims.codeMac.copy(out, at, 0, CODE_MAC_BYTES);
  at = out.writeUIntBE(claims.codeExpiresAtMs, at, 6);
  at = out.writeUIntBE(claims.sessionExpiresAtMs, at, 6);
  at = out.writeUInt8(claims.maxAttempts, at);
  at = out.writeUInt8(claims.codeLength, at);
  at = out.writeUInt8(Math.min(claims.sends, 255), at);
  at = out.writeUInt8((claims.decoy ? FLAG_DECOY : 0) | (hashBytes > 0 ? FLAG_IDENTIFIER_HASH : 0), at);
  if (claims.identifierHash !== null) at += out.write(claims.identifierHash, at, IDENTIFIER_HASH_BYTES, "base64url");
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

function decodeClaims(plain: Buffer): TokenClaims {
  // The plaintext is authenticated, so it was written by encodeClaims; the bounds checks only
  // keep a future format bug from turning into an exception other than INVALID_CONTEXT.
  let at = 0;
  const take = (length: number): Buffer => {
    if (at + length > plain.length) throw invalidContext();
    const slice = plain.subarray(at, at + length);
    at += length;
    return slice;
  };
  const id = take(ID_BYTES).toString("base64url");
  const codeMac = Buffer.from(take(CODE_MAC_BYTES));
  const codeExpiresAtMs = take(6).readUIntBE(0, 6);
  const sessionExpiresAtMs = take(6).readUIntBE(0, 6);
  const [maxAttempts, codeLength, sends, flags = 0] = take(4);
  const identifierHash = (flags & FLAG_IDENTIFIER_HASH) !== 0 ? take(IDENTIFIER_HASH_BYTES).toString("base64url") : null;
  const identifier = take(take(1)[0]!).toString("utf8");
  const purpose = take(take(1)[0]!).toString("utf8");
  const channel = take(take(1)[0]!).toString("utf8");
  const metadataLength = take(2).readUInt16BE(0);
  const metadata = metadataLength === 0 ? null : take(metadataLength).toString("utf8");
  if (at !== plain.length) throw invalidContext();
  return {
    id,
    codeMac,
    identifierHash,
    codeExpiresAtMs,
    sessionExpiresAtMs,
    maxAttempts: maxAttempts!,
    codeLength: codeLength!,
    sends: sends!,
    decoy: (flags & FLAG_DECOY) !== 0,
    identifier,
    purpose,
    channel,
    metadata,
  };
}
