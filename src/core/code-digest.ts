import { createHmac, timingSafeEqual, type KeyObject } from "node:crypto";
import { CODE_MAC_BYTES } from "./token.js";

/** HMAC-SHA256(codeMacKey, id ‖ code), truncated to 128 bits: what the token holds instead of the code. */
export function codeDigest(codeMacKey: KeyObject, id: string, code: string): Buffer {
  return createHmac("sha256", codeMacKey).update(id).update(code).digest().subarray(0, CODE_MAC_BYTES);
}

/** Constant-time comparison of two digests of the same fixed length (invariant 3). */
export function digestsMatch(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
