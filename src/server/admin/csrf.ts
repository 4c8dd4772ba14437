/**
 * The CSRF check: a state-changing request made with the session cookie must carry the session's
 * synchronizer token in a header. A page on another site can make the browser send the cookie
 * (SameSite=Strict is the first defence, not the only one) but cannot read the token to copy it.
 * The token is derived, not stored: an HMAC of the session id under a keyring subkey, so every
 * instance with the same keys knows it and nothing needs to remember it.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { KeyEntry } from "../../core/keyring.js";

/** The header the console's script sends the token in. */
export const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The session's token: HMAC-SHA256 of its id under the console CSRF subkey of the key that sealed its cookie. */
export function csrfTokenFor(key: KeyEntry, sessionId: string): string {
  return createHmac("sha256", key.consoleCsrfKey).update(`console-csrf:${sessionId}`).digest("base64url");
}

/** Reads change nothing; everything else needs the token. */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/** True when the request's header holds exactly the session's token, compared in constant time. */
export function csrfMatches(request: FastifyRequest, expected: string): boolean {
  const presented = request.headers[CSRF_HEADER];
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
