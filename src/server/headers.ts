/**
 * Headers every response carries: a request id; `no-store` on /v1 (contexts must not be cached);
 * a Content-Security-Policy and the usual hardening headers everywhere. Pages replace the API's
 * CSP with PAGE_CSP (their scripts and styles are served from this origin, never inline).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The hardening headers, also written by hand on answers that have no Fastify reply. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": API_CSP,
};

export function installSecurityHeaders(app: FastifyInstance): void {
  // Set when the request arrives (a callback hook: this is the hot path), so every answer has
  // them, errors and 404s included.
  app.addHook("onRequest", (request, reply, done) => {
    setSecurityHeaders(reply, request.id);
    done();
  });
}

/** For answers sent before any hook runs (a URL the router cannot decode). */
export function setSecurityHeaders(reply: FastifyReply, requestId: string): void {
  reply.header("x-request-id", requestId).headers(SECURITY_HEADERS);
}

/**
 * An onRequest hook for a scope whose answers carry contexts. A hook on the scope, not a test of
 * the URL: the router also reaches /v1 through `/%76%31/…` and `http://host/v1/…`.
 */
export function noStore(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header("cache-control", "no-store");
  done();
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Keeps a caller's `X-Request-Id` when it is short and plain; otherwise makes one. */
export function requestIdFrom(header: string | string[] | undefined, fresh: () => string): string {
  return typeof header === "string" && REQUEST_ID.test(header) ? header : fresh();
}
