/**
 * Who is calling: the API key (or, for the console, the signed-in operator) a request was
 * authenticated as, set by whichever authentication let it in and read by the routes that record
 * who acted. A key is named by a stable id that is not a secret: `key_` and the first 12 base64url
 * characters of its SHA-256, which cannot be turned back into the key.
 */
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Scope } from "./api-keys.js";

/** The caller of one request. */
export interface Caller {
  /** The key's id (`key_…`), or the console's name for its operator: what audit rows record as the actor. */
  keyId: string;
  /** What the caller may do. */
  scopes: readonly Scope[];
}

// A WeakMap rather than a property declared on every request: it is set on the few requests that
// authenticate, needs no registration on each Fastify scope, and goes with the request.
const CALLERS = new WeakMap<FastifyRequest, Caller>();

/** Records the request's caller (called by the authentication that let the request in). */
export function setCaller(request: FastifyRequest, caller: Caller): void {
  CALLERS.set(request, caller);
}

/** The request's caller, if an authentication set one. */
export function callerOf(request: FastifyRequest): Caller | undefined {
  return CALLERS.get(request);
}

/** The stable, non-secret id of an API key: `key_` + the first 12 base64url characters of its SHA-256. */
export function apiKeyId(key: string): string {
  return `key_${createHash("sha256").update(key, "utf8").digest("base64url").slice(0, 12)}`;
}
