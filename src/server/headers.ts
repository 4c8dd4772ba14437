/**
 * Headers every response carries: a request id; `no-store` on /v1 (contexts must not be cached);
 * a Content-Security-Policy and the usual hardening headers everywhere. Pages replace the API's
 * CSP with PAGE_CSP (their scripts and styles are served from this origin, never inline).
 */
import type { FastifyInstance } from "fastify";

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function installSecurityHeaders(app: FastifyInstance): void {
  // Set when the request arrives (a callback hook: this is the hot path), so every answer has
  // them, errors and 404s included.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header("content-security-policy", API_CSP);
    if (request.url.startsWith("/v1/")) reply.header("cache-control", "no-store");
    done();
  });
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Keeps a caller's `X-Request-Id` when it is short and plain; otherwise makes one. */
export function requestIdFrom(header: string | string[] | undefined, fresh: () => string): string {
  return typeof header === "string" && REQUEST_ID.test(header) ? header : fresh();
}
