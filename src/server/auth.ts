/**
 * `Authorization: Bearer <key>` for /v1. Every configured key is compared, every time, over the
 * same fixed width in constant time, so timing says nothing about any key, its length included.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../core/errors.js";
import { sendOtpError } from "./errors.js";

/** The longest key a request may present (the pattern below says the same). */
const MAX_PRESENTED = 512;
const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;

/**
 * Matches a presented key against the configured ones. Each side is zero-padded to one width and
 * compared whole, lengths apart: no hash object per request (that was most of this check's cost),
 * and no early exit at the first differing byte or at a length mismatch.
 */
export function apiKeyMatcher(apiKeys: readonly string[]): (presented: string) => boolean {
  const lengths = apiKeys.map((key) => Buffer.byteLength(key, "utf8"));
  const width = Math.max(MAX_PRESENTED, ...lengths);
  const known = apiKeys.map((key, index) => ({ padded: padded(key, width), length: lengths[index]! }));
  return (presented) => {
    const length = Buffer.byteLength(presented, "utf8");
    if (length > width) return false; // longer than every key: the width is public, not a key's length
    const candidate = padded(presented, width);
    let found = false;
    for (const key of known) {
      const same = timingSafeEqual(key.padded, candidate);
      found = (same && key.length === length) || found;
    }
    return found;
  };
}

function padded(value: string, width: number): Buffer {
  const buffer = Buffer.alloc(width);
  buffer.write(value, "utf8");
  return buffer;
}

const UNAUTHORIZED_MESSAGE = "A valid API key is required: send the header 'Authorization: Bearer <key>' with a key from OTP_API_KEYS.";

/** An onRequest hook (callback style: it runs on every /v1 request). */
export function bearerAuth(apiKeys: readonly string[]): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const matches = apiKeyMatcher(apiKeys);
  return (request, reply, done) => {
    const header = request.headers.authorization;
    const presented = typeof header === "string" ? BEARER.exec(header)?.[1] : undefined;
    if (presented !== undefined && matches(presented)) return done();
    // Answering without calling done() ends the request here: the body is never read.
    reply.header("www-authenticate", 'Bearer realm="otp-actions"');
    sendOtpError(reply, new OtpError("UNAUTHORIZED", { message: UNAUTHORIZED_MESSAGE }));
  };
}
