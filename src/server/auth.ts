/**
 * `Authorization: Bearer <key>` for /v1. Keys are compared as SHA-256 digests in constant time,
 * and every configured key is compared every time, so timing says nothing about any key.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../core/errors.js";
import { sendOtpError } from "./errors.js";

const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function apiKeyMatcher(apiKeys: readonly string[]): (presented: string) => boolean {
  const digests = apiKeys.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let found = false;
    for (const known of digests) found = timingSafeEqual(known, candidate) || found;
    return found;
  };
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
