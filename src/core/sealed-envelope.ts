/**
 * The sealed envelope contexts and TOTP factors share: a version byte, the key id (its length,
 * then latin1), a 12-byte nonce, the AES-256-GCM ciphertext and its 16-byte tag. The header is the
 * cipher's additional data, so a relabelled version or key id fails the tag.
 */
import { createCipheriv, createDecipheriv, type CipherKey } from "node:crypto";

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Seals `plain` under `key`, labelled with `version` and `kid`, as base64url. */
export function sealEnvelope(version: number, kid: string, key: CipherKey, nonce: Buffer, plain: Buffer): string {
  const header = Buffer.allocUnsafe(2 + kid.length);
  header[0] = version;
  header[1] = kid.length;
  header.write(kid, 2, "latin1");
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(header);
  return Buffer.concat([header, nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString("base64url");
}

/** An envelope's label, read before any crypto. */
export interface EnvelopeHeader {
  version: number | undefined;
  kid: string;
  length: number;
}

/** The label of `raw`, or undefined when it names no key or is too short for `minPlainBytes` of plaintext. */
export function envelopeHeader(raw: Buffer, minPlainBytes: number): EnvelopeHeader | undefined {
  const kidLength = raw[1] ?? 0;
  const length = 2 + kidLength;
  if (kidLength === 0 || raw.length < length + NONCE_BYTES + minPlainBytes + TAG_BYTES) return undefined;
  return { version: raw[0], kid: raw.toString("latin1", 2, length), length };
}

/** The plaintext of `raw` under `key`; throws when the tag does not authenticate it. */
export function openEnvelope(raw: Buffer, header: EnvelopeHeader, key: CipherKey): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(header.length, header.length + NONCE_BYTES));
  decipher.setAAD(raw.subarray(0, header.length));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  const plain = decipher.update(raw.subarray(header.length + NONCE_BYTES, raw.length - TAG_BYTES));
  // GCM is a stream mode: final() only checks the tag and yields no bytes. Joining its output
  // would copy the plaintext on every check for nothing.
  const rest = decipher.final();
  return rest.length > 0 ? Buffer.concat([plain, rest]) : plain;
}
