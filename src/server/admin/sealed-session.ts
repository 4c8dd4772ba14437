/**
 * A console session as its cookie carries it, sealed with AES-256-GCM under the keyring's console
 * subkey (sealed-envelope.ts): every instance with the same OTP_KEYS opens it, nobody without them
 * reads, makes or alters one. It holds a random id, the signed-in API key's id, when it was issued
 * and last seen, and whether it was made for the Secure cookie; never the key itself.
 *
 * Plaintext: flags(1) ‖ id(16) ‖ issuedAtMs(6) ‖ lastSeenMs(6) ‖ keyIdLength(1) ‖ keyId (latin1).
 */
import { randomBytes } from "node:crypto";
import type { KeyEntry, Keyring } from "../../core/keyring.js";
import { envelopeHeader, NONCE_BYTES, openEnvelope, sealEnvelope } from "../../core/sealed-envelope.js";

/** What a session cookie says. */
export interface SessionClaims {
  /** 128 random bits, base64url: what a sign-out marks in the store. */
  id: string;
  /** The signed-in API key's id (`key_…`, caller.ts): its scopes are read from the configuration on each request. */
  keyId: string;
  issuedAtMs: number;
  lastSeenMs: number;
  /** Made for the Secure `__Host-` cookie: a development cookie never opens in production. */
  secure: boolean;
}

/** An opened cookie and the key that sealed it (its renewals are sealed under the same key). */
export interface OpenedSession {
  claims: SessionClaims;
  key: KeyEntry;
}

/** A version byte of its own: neither a context token (1, 2) nor a factor (0x46). */
const SESSION_VERSION = 0x43;
const ID_BYTES = 16;
const FLAG_SECURE = 1;
const FIXED_PLAIN_BYTES = 1 + ID_BYTES + 6 + 6 + 1;
const KEY_ID = /^[\x21-\x7e]{1,64}$/;
/** Far above a real cookie (about 110 characters): checked before any decoding. */
const MAX_COOKIE_CHARS = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A new session id. */
export function newSessionId(): string {
  return randomBytes(ID_BYTES).toString("base64url");
}

/** The cookie value for `claims`, sealed under `key`. */
export function sealSession(key: KeyEntry, claims: SessionClaims): string {
  if (!KEY_ID.test(claims.keyId)) throw new RangeError("console session: the key id is not printable ASCII of 1-64 characters");
  const plain = Buffer.alloc(FIXED_PLAIN_BYTES + claims.keyId.length);
  let at = plain.writeUInt8(claims.secure ? FLAG_SECURE : 0, 0);
  at += plain.write(claims.id, at, ID_BYTES, "base64url");
  at = plain.writeUIntBE(claims.issuedAtMs, at, 6);
  at = plain.writeUIntBE(claims.lastSeenMs, at, 6);
  at = plain.writeUInt8(claims.keyId.length, at);
  plain.write(claims.keyId, at, "latin1");
  return sealEnvelope(SESSION_VERSION, key.kid, key.consoleSessionKey, randomBytes(NONCE_BYTES), plain);
}

/**
 * The session a cookie value holds, or undefined for anything else: not base64url, too long,
 * truncated, tampered, sealed under a key not in the keyring or for another purpose. Never throws.
 */
export function openSession(keyring: Keyring, value: string): OpenedSession | undefined {
  if (value.length > MAX_COOKIE_CHARS || !BASE64URL.test(value)) return undefined;
  const raw = Buffer.from(value, "base64url");
  // The canonical form only: two strings never open to one session.
  if (raw.toString("base64url") !== value) return undefined;
  const header = envelopeHeader(raw, FIXED_PLAIN_BYTES + 1);
  if (header === undefined || header.version !== SESSION_VERSION) return undefined;
  const key = keyring.get(header.kid);
  if (key === undefined) return undefined;
  let plain: Buffer;
  try {
    plain = openEnvelope(raw, header, key.consoleSessionKey);
  } catch {
    return undefined;
  }
  // Authenticated, so written by sealSession; the length check only keeps a format bug from throwing.
  const keyIdLength = plain[FIXED_PLAIN_BYTES - 1]!;
  if (plain.length !== FIXED_PLAIN_BYTES + keyIdLength) return undefined;
  return {
    claims: {
      secure: (plain[0]! & FLAG_SECURE) !== 0,
      id: plain.toString("base64url", 1, 1 + ID_BYTES),
      issuedAtMs: plain.readUIntBE(1 + ID_BYTES, 6),
      lastSeenMs: plain.readUIntBE(1 + ID_BYTES + 6, 6),
      keyId: plain.toString("latin1", FIXED_PLAIN_BYTES),
    },
    key,
  };
}
