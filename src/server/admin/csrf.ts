/**
 * The CSRF check: a state-changing request made with the session cookie must carry the session's
 * synchronizer token in a header. A page on another site can make the browser send the cookie
 * (SameSite=Strict is the first defence, not the only one) but cannot read the token to copy it.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/** The header the console's script sends the token in. */
export const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

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
