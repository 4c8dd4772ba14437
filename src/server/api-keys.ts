/**
 * API keys and their scopes. OTP_API_KEYS stays one variable: entries are separated by commas and
 * an entry is the key, then its scopes after whitespace (`KEY verify audit`). Keys can hold neither
 * a comma nor whitespace, so the split is unambiguous whatever printable characters a key uses.
 */

/** What a key may call: `verify` /v1/verifications, `audit` /v1/audit/*, `metrics` /metrics, `admin` all. */
export const SCOPES = ["verify", "audit", "metrics", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  key: string;
  scopes: readonly Scope[];
  /** Set when the entry named no scope and got `verify`, the only thing a key could do before scopes. */
  defaulted?: boolean;
}

/** The scope of an entry that names none: what every key allowed before scopes existed, minus /metrics and the audit log. */
export const DEFAULT_SCOPES: readonly Scope[] = ["verify"];

const API_KEY = /^[\x21-\x2b\x2d-\x7e]{16,512}$/;
const KNOWN: ReadonlySet<string> = new Set(SCOPES);

/** Parses OTP_API_KEYS; each problem names the entry by position, never by its value (a key). */
export function parseApiKeys(raw: string): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) problems.push("lists no key");
  entries.forEach((entry, index) => {
    const [key = "", ...words] = entry.split(/\s+/);
    if (!API_KEY.test(key)) problems.push(`key #${index + 1} must be 16-512 printable characters without spaces or commas`);
    const unknown = words.filter((word) => !KNOWN.has(word));
    if (unknown.length > 0) {
      // A scope word may be a second key pasted without its comma: not echoed.
      problems.push(`key #${index + 1} names ${unknown.length === 1 ? "a scope" : "scopes"} other than ${SCOPES.join(", ")}`);
      return;
    }
    if (words.length === 0) keys.push({ key, scopes: DEFAULT_SCOPES, defaulted: true });
    else keys.push({ key, scopes: [...new Set(words as Scope[])] });
  });
  return { keys, problems };
}

/** A key as the server takes it: a bare string is a key with every scope (tests, embedding). */
export type ApiKeyOption = string | ApiKey;

const ALL = (1 << SCOPES.length) - 1;

/** The scopes as bits: `admin` is every bit, so a check is one AND. */
export function scopeMask(scopes: readonly Scope[]): number {
  let mask = 0;
  for (const scope of scopes) mask |= scope === "admin" ? ALL : 1 << SCOPES.indexOf(scope);
  return mask;
}
