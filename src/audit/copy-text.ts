/**
 * Audit records as the rows of a Postgres `COPY … FROM STDIN` in text format: one line a record,
 * columns in AUDIT_COLUMNS order, tab-separated, `\N` for null.
 *
 * Every record must be representable, or the whole batch is refused and blocks the log behind
 * it. Postgres text cannot hold U+0000, and its JSON input refuses `\u0000` and unpaired
 * surrogates, while a user agent or metadata from an application may carry either. Those become
 * U+FFFD, the replacement character; every other character arrives as given.
 */
import type { AuditRecord } from "./audit-log.js";

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPED = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\uFFFD" };

/** One text value: backslash, tab and line breaks escaped, NUL replaced; null is `\N`. */
function text(value: string | null): string {
  if (value === null) return "\\N";
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, (c) => ESCAPES[c]!) : value;
}

// JSON.stringify writes a NUL and an unpaired surrogate as `\u0000` and `\udXXX` escapes (a
// surrogate pair is written as itself), so those escapes are exactly what Postgres refuses. The
// backslashes before them must be odd in number: `\\u0000` is an escaped backslash, then text.
const REFUSED_JSON_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

/** Metadata as JSON text Postgres accepts as jsonb. */
function json(value: Record<string, unknown> | null): string {
  if (value === null) return "\\N";
  let encoded = JSON.stringify(value);
  if (encoded.includes("\\u")) encoded = encoded.replace(REFUSED_JSON_ESCAPE, "$1\\ufffd");
  return text(encoded);
}

/**
 * The COPY text of a batch. Every string is escaped, ours too: `append` is public, and a tab or
 * a line break left in a value would shift the columns or start a row of its own.
 */
export function copyText(records: readonly AuditRecord[]): string {
  let out = "";
  for (const r of records) {
    out += `${text(r.eventId)}\t${text(r.verificationId)}\t${text(r.action)}\t${text(r.status)}\t${text(r.purpose)}\t${text(r.channel)}\t${text(r.identifierHash)}\t${text(r.identifierMasked)}\t${r.attempts ?? "\\N"}\t${json(r.metadata)}\t${text(r.clientIp)}\t${text(r.userAgent)}\t${text(r.traceId)}\t${r.durationMs ?? "\\N"}\t${r.at.toISOString()}\t${text(r.actor ?? null)}\n`;
  }
  return out;
}
