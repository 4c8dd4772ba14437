import { createHash, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from "node:crypto";
import { inspect } from "node:util";

const KID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const SECRET_BYTES = 32;

/** Subkeys of one configured key. The master secret itself is never kept after derivation. */
export interface KeyEntry {
  /** The key id, written into every token the key seals. */
  readonly kid: string;
  /** AES-256-GCM key that seals context tokens. */
  readonly encKey: KeyObject;
  /** HMAC-SHA256 key for the code digest held in the token. */
  readonly codeMacKey: KeyObject;
  /** HMAC-SHA256 key for identifier lookups (audit, limits) that must not store the identifier. */
  readonly identifierMacKey: KeyObject;
  /** HMAC-SHA256 key for the digest of a transaction a code is bound to (never the details). */
  readonly transactionMacKey: KeyObject;
  /** AES-256-GCM key that seals TOTP factors (derived from `encKey`: a token never opens as a factor). */
  readonly factorKey: KeyObject;
  /** AES-256-GCM key that seals the operator console's session cookies. */
  readonly consoleSessionKey: KeyObject;
  /** HMAC-SHA256 key that derives a console session's CSRF token from its id. */
  readonly consoleCsrfKey: KeyObject;
}

/**
 * The configured keys: the first seals, every listed key opens. Removing a key retires every token
 * it sealed. Keys never print: inspecting or serialising a keyring shows only its key ids.
 */
export class Keyring {
  /** The key that seals new tokens: the first configured. */
  readonly sealing: KeyEntry;
  readonly #byKid: Map<string, KeyEntry>;

  constructor(entries: readonly KeyEntry[]) {
    const first = entries[0];
    if (!first) throw new TypeError("otp-actions: at least one key is required");
    this.sealing = first;
    this.#byKid = new Map(entries.map((entry) => [entry.kid, entry]));
  }

  /** The ids of every key that opens tokens, sealing key first. */
  get kids(): string[] {
    return [...this.#byKid.keys()];
  }

  /** The key with this id, if it is configured. */
  get(kid: string): KeyEntry | undefined {
    return this.#byKid.get(kid);
  }

  /** Keyed hash of a normalised identifier under the sealing key (base64url, 22 chars). */
  identifierHash(identifier: string): string {
    return hashIdentifier(this.sealing, identifier);
  }

  /** The identifier's hash under every listed key, for lookups that span a rotation. */
  identifierHashes(identifier: string): string[] {
    return [...this.#byKid.values()].map((entry) => hashIdentifier(entry, identifier));
  }

  /** What serialising shows: the key ids only. */
  toJSON(): {
    /** The key ids. */
    kids: string[];
  } {
    return { kids: this.kids };
  }

  /** What inspecting shows: the key ids only. */
  [inspect.custom](): string {
    return `Keyring { kids: [${this.kids.join(", ")}] }`;
  }
}

function hashIdentifier(entry: KeyEntry, identifier: string): string {
  return createHmac("sha256", entry.identifierMacKey).update(identifier).digest().subarray(0, 16).toString("base64url");
}

// KeyObjects keep the subkeys out of JS-visible buffers and spare each HMAC/cipher call an import.
function derive(secret: Buffer, label: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), `otp-actions/v1/${label}`, SECRET_BYTES)));
}

function deriveEntry(kid: string, secret: Buffer): KeyEntry {
  const encKey = derive(secret, "token-encryption");
  const entry: KeyEntry = {
    kid,
    encKey,
    codeMacKey: derive(secret, "code-mac"),
    identifierMacKey: derive(secret, "identifier-mac"),
    transactionMacKey: derive(secret, "transaction-mac"),
    factorKey: createSecretKey(Buffer.from(hkdfSync("sha256", encKey, Buffer.alloc(0), "otp-actions/v1/totp-factor", SECRET_BYTES))),
    consoleSessionKey: derive(secret, "console-session"),
    consoleCsrfKey: derive(secret, "console-csrf"),
  };
  secret.fill(0);
  return entry;
}

/**
 * Parses `"kid:base64url-32-bytes,kid2:…"`. Throws a TypeError that names the position and the
 * problem, never the secret.
 */
export function parseKeys(keys: string | readonly string[]): Keyring {
  const items = (typeof keys === "string" ? keys.split(",") : [...keys]).map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new TypeError("otp-actions: `keys` is empty; generate one with `otp-actions keygen`");
  const seen = new Set<string>();
  let fromRunTime = false;
  const entries = items.map((item, index) => {
    const separator = item.indexOf(":");
    const kid = separator === -1 ? "" : item.slice(0, separator);
    const secret = separator === -1 ? "" : item.slice(separator + 1);
    if (!KID_PATTERN.test(kid)) {
      throw new TypeError(`otp-actions: key #${index + 1} needs a key id of 1-16 characters [A-Za-z0-9_-] before ':'`);
    }
    if (!SECRET_PATTERN.test(secret)) {
      throw new TypeError(`otp-actions: key '${kid}' must be 32 bytes in base64url (43 characters)`);
    }
    if (seen.has(kid)) throw new TypeError(`otp-actions: key id '${kid}' is listed twice`);
    seen.add(kid);
    if (generatedHere.has(fingerprint(secret))) fromRunTime = true;
    return deriveEntry(kid, Buffer.from(secret, "base64url"));
  });
  const keyring = new Keyring(entries);
  if (fromRunTime) runTimeKeyrings.add(keyring);
  return keyring;
}

/** A new key in the `kid:secret` form `keys` takes. */
export function generateKey(kid: string = randomBytes(6).toString("base64url")): string {
  if (!KID_PATTERN.test(kid)) throw new TypeError("otp-actions: a key id is 1-16 characters [A-Za-z0-9_-]");
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  rememberGenerated(fingerprint(secret));
  return `${kid}:${secret}`;
}

// Fingerprints of the secrets generateKey() made in this process, so that a keyring built from one
// can be told apart from configured keys (createOtp warns about those in production). A hash, not
// the secret; the most recent few only, since a process that means it makes one or two.
const generatedHere = new Set<string>();
const runTimeKeyrings = new WeakSet<Keyring>();
const MAX_REMEMBERED = 64;

function fingerprint(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}

function rememberGenerated(print: string): void {
  generatedHere.add(print);
  if (generatedHere.size > MAX_REMEMBERED) generatedHere.delete(generatedHere.values().next().value as string);
}

/** Whether a key of this keyring came from generateKey() in this very process. */
export function sealsWithRunTimeKey(keyring: Keyring): boolean {
  return runTimeKeyrings.has(keyring);
}
