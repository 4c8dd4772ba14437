/**
 * `Authorization: Bearer <key>` for /v1 and /metrics. Every configured key is compared, every
 * time, over the same fixed width in constant time, so timing says nothing about any key, its
 * length included, nor about which key matched or what it may do.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../core/errors.js";
import type { SessionAuth } from "./admin/session-auth.js";
import { SCOPES, scopeMask, type ApiKeyOption, type Scope } from "./api-keys.js";
import { apiKeyId, setCaller, type Caller } from "./caller.js";
import { sendOtpError } from "./errors.js";

/** The longest key a request may present (the pattern below says the same). */
const MAX_PRESENTED = 512;
const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;
const EVERY_SCOPE = scopeMask(["admin"]);

/**
 * Matches a presented key against the configured ones and returns the scopes it holds as bits (0:
 * no key matched). Each side is zero-padded to one width and compared whole, lengths apart: no
 * hash object per request (that was most of this check's cost), and no early exit at the first
 * differing byte, at a length mismatch or at the matching key.
 */
export function apiKeyMatcher(apiKeys: readonly ApiKeyOption[]): (presented: string) => number {
  const match = apiKeyIndexMatcher(apiKeys);
  return (presented) => match(presented).scopes;
}

/**
 * As `apiKeyMatcher`, with the matching key's position in `apiKeys` (-1: none), found without an
 * early exit: every key is compared, and the position is kept by masks, not by a branch.
 */
export function apiKeyIndexMatcher(apiKeys: readonly ApiKeyOption[]): (presented: string) => { scopes: number; index: number } {
  const entries = apiKeys.map((entry) =>
    typeof entry === "string" ? { key: entry, mask: EVERY_SCOPE } : { key: entry.key, mask: scopeMask(entry.scopes) },
  );
  const lengths = entries.map(({ key }) => Buffer.byteLength(key, "utf8"));
  const width = Math.max(MAX_PRESENTED, ...lengths);
  const known = entries.map((entry, index) => ({ padded: padded(entry.key, width), length: lengths[index]!, mask: entry.mask }));
  return (presented) => {
    const length = Buffer.byteLength(presented, "utf8");
    if (length > width) return { scopes: 0, index: -1 }; // longer than every key: the width is public, not a key's length
    const candidate = padded(presented, width);
    let scopes = 0;
    let found = 0;
    for (let index = 0; index < known.length; index++) {
      const key = known[index]!;
      const same = -Number(timingSafeEqual(key.padded, candidate) && key.length === length);
      scopes |= key.mask & same;
      found = (found & ~same) | ((index + 1) & same);
    }
    return { scopes, index: found - 1 };
  };
}

function padded(value: string, width: number): Buffer {
  const buffer = Buffer.alloc(width);
  buffer.write(value, "utf8");
  return buffer;
}

const UNAUTHORIZED_MESSAGE = "A valid API key is required: send the header 'Authorization: Bearer <key>' with a key from OTP_API_KEYS.";

/**
 * The scope a route needs, from its template: the audit log, the metrics, an operator's actions,
 * else the verifications.
 * A path no route matched needs only a valid key (it is a 404 then).
 */
export function scopeForRoute(route: string | undefined): Scope | undefined {
  if (route === undefined) return undefined;
  if (route === "/metrics") return "metrics";
  if (route.startsWith("/v1/audit/")) return "audit";
  if (route.startsWith("/v1/admin/")) return "admin";
  return "verify";
}

/** The caller a configured key makes: its id and scopes (a bare string is a key with every scope). */
export function callerOfKey(entry: ApiKeyOption): Caller {
  return typeof entry === "string" ? { keyId: apiKeyId(entry), scopes: ["admin"] } : { keyId: apiKeyId(entry.key), scopes: entry.scopes };
}

/**
 * An onRequest hook (callback style: it runs on every /v1 and /metrics request). With `session`, a
 * request without an Authorization header may instead be signed in by the console's session; its
 * refusals (a missing CSRF token, a store that cannot say whether it signed out) go to the error
 * handler.
 */
export function bearerAuth(
  apiKeys: readonly ApiKeyOption[],
  session?: SessionAuth,
): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  const matches = apiKeyIndexMatcher(apiKeys);
  const callers: Caller[] = apiKeys.map(callerOfKey);
  return (request, reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined && session !== undefined) {
      session(request, reply).then(
        (signedIn) => admit(request, reply, done, signedIn?.scopes ?? 0, signedIn?.caller),
        (error: Error) => done(error),
      );
      return;
    }
    const presented = typeof header === "string" ? BEARER.exec(header)?.[1] : undefined;
    const match = presented === undefined ? { scopes: 0, index: -1 } : matches(presented);
    admit(request, reply, done, match.scopes, callers[match.index]);
  };
}

/** Lets the request on when `scopes` hold the route's scope; else answers 401 or 403 itself. */
function admit(request: FastifyRequest, reply: FastifyReply, done: () => void, scopes: number, caller: Caller | undefined): void {
  if (scopes === 0) {
    // Answering without calling done() ends the request here: the body is never read.
    reply.header("www-authenticate", 'Bearer realm="otp-actions"');
    sendOtpError(reply, new OtpError("UNAUTHORIZED", { message: UNAUTHORIZED_MESSAGE }));
    return;
  }
  if (caller !== undefined) setCaller(request, caller);
  const needed = scopeForRoute(request.routeOptions.url);
  // Every bit of the scope: `admin` is all of them, so a key with any one scope is no admin.
  const mask = needed === undefined ? 0 : scopeMask([needed]);
  if ((scopes & mask) === mask) {
    done();
    return;
  }
  reply.header(
    "www-authenticate",
    `Bearer realm="otp-actions", error="insufficient_scope", scope="${needed === "admin" ? "admin" : `${needed} admin`}"`,
  );
  sendOtpError(
    reply,
    new OtpError("INSUFFICIENT_SCOPE", {
      message: `This API key does not have the '${needed}' scope this endpoint needs (scopes: ${SCOPES.join(", ")}).`,
    }),
  );
}
