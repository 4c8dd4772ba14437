/**
 * Headers every response carries: a request id; `no-store` on /v1 (contexts must not be cached);
 * a Content-Security-Policy and the usual hardening headers everywhere. Their values come from
 * helmet, read once at start; the hook below sets them through Fastify's reply. (@fastify/helmet
 * runs helmet on every request and cost more than 5% of check throughput in `npm run bench:http`.)
 * Pages replace the API's CSP with PAGE_CSP (their scripts and styles are served from this origin,
 * never inline); /docs with DOCS_CSP.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import helmet, { type HelmetOptions } from "helmet";

type Directives = Record<string, string[]>;

const API_DIRECTIVES: Directives = { "default-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'none'"] };
const PAGE_DIRECTIVES: Directives = {
  "default-src": ["'none'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'"],
  "connect-src": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
  "base-uri": ["'none'"],
};
/**
 * The API reference's renderer (swagger-ui) draws its icons as `data:` SVG images from its
 * stylesheet; everything else it loads is from this origin. No inline script, no eval.
 */
const DOCS_DIRECTIVES: Directives = { ...PAGE_DIRECTIVES, "img-src": ["'self'", "data:"] };

/**
 * Helmet with exactly the headers the service has always sent: nosniff, DENY, no-referrer and a
 * CSP; the rest of helmet's defaults are off (HSTS belongs to the TLS terminator in front).
 */
function helmetOptions(directives: Directives): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives },
    xContentTypeOptions: true,
    xFrameOptions: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    strictTransportSecurity: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xPoweredBy: false,
    xXssProtection: false,
  };
}

/** The headers helmet writes with these directives. */
function helmetHeaders(directives: Directives): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => {},
  };
  helmet(helmetOptions(directives))({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}

/** The hardening headers, with the API's CSP. */
export const SECURITY_HEADERS = helmetHeaders(API_DIRECTIVES);
export const PAGE_CSP = helmetHeaders(PAGE_DIRECTIVES)["content-security-policy"]!;
export const DOCS_CSP = helmetHeaders(DOCS_DIRECTIVES)["content-security-policy"]!;

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
