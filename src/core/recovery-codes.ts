/**
 * Recovery codes: ten single-use codes from the CSPRNG, shown once; the factor keeps only their
 * keyed hashes. Ten characters of a 32-letter alphabet (50 bits) each, written `xxxxx-xxxxx`.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { OtpError } from "./errors.js";

/** Codes per set. */
export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet, lower case: no i, l, o or u to misread. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_CHARS = 10;
const HASH_BYTES = 16;
const NORMALIZED = /^[0-9abcdefghjkmnpqrstvwxyz]{10}$/;

/** A new set: the codes (shown once), their set's HMAC key and the hashes to keep. */
export function newRecoveryCodes(): { codes: string[]; hashKey: Buffer; hashes: Buffer[] } {
  const hashKey = randomBytes(32);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = "";
    for (let i = 0; i < CODE_CHARS; i++) code += ALPHABET[randomInt(ALPHABET.length)];
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
  return { codes, hashKey, hashes: codes.map((code) => recoveryHash(hashKey, normalizeRecoveryCode(code))) };
}

/** A submitted code as it is hashed: lower case, without the dash or spaces; INVALID_CODE_FORMAT when it cannot be one. */
export function normalizeRecoveryCode(input: unknown): string {
  if (typeof input !== "string" || input.length > 32) throw new OtpError("INVALID_CODE_FORMAT");
  const code = input.replace(/[\s-]/g, "").toLowerCase();
  if (!NORMALIZED.test(code)) throw new OtpError("INVALID_CODE_FORMAT");
  return code;
}

/** HMAC-SHA256 of a normalised code under its set's key, truncated to 128 bits. */
export function recoveryHash(hashKey: Buffer, normalized: string): Buffer {
  return createHmac("sha256", hashKey).update(normalized).digest().subarray(0, HASH_BYTES);
}

/** Which of `hashes` `normalized` hashes to, or -1; every hash is compared, in constant time. */
export function recoveryCodeIndex(hashKey: Buffer, hashes: readonly Buffer[], normalized: string): number {
  const submitted = recoveryHash(hashKey, normalized);
  let found = -1;
  hashes.forEach((hash, index) => {
    const same = hash.length === submitted.length && timingSafeEqual(hash, submitted);
    found = same ? index : found;
  });
  return found;
}
