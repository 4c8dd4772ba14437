/**
 * The error answers a route can give before its handler runs, from what guards it: the hooks every
 * request passes (malformed HTTP, the development Host check), the API key and the scope the route
 * needs, the console session's CSRF check, the body parser. One table, read by /openapi.json for
 * every route (a new one included) and by docs/errors.md, so neither is written route by route.
 */
import type { ErrorCode } from "../core/errors.js";
import { changesState } from "./admin/csrf.js";
import type { Scope } from "./api-keys.js";
import { scopeForRoute } from "./auth.js";
import { isProbePath } from "./probes.js";

/** What the table reads of a route. */
export interface RouteTraits {
  /** One method or several (a route registered for more than one). */
  method: string | readonly string[];
  /** The route's template, prefix included: `/v1/verifications/:id`. */
  url: string;
  /** Whether the route takes a request body. */
  body: boolean;
}

/** What the table reads of the service: which guards it installs. */
export interface ServiceTraits {
  /** Development: every route answers only a loopback Host (loopback-host.ts). */
  development: boolean;
  /** The console is on: its session cookie may stand in for a key on the routes behind one. */
  console: boolean;
}

/** Paths behind the API key: app.ts puts the bearer hook on /v1 and /metrics. */
const BEHIND_API_KEY = /^\/(v1\/|metrics$)/;

/** The scope a route needs (auth.ts decides it from the same template), or undefined when it asks for no key. */
export function routeScope(url: string): Scope | undefined {
  return BEHIND_API_KEY.test(url) ? scopeForRoute(url) : undefined;
}

/** One answer of the table: its code, which routes give it (in words, for the docs), and the test. */
export interface RouteError {
  readonly code: ErrorCode;
  readonly routes: string;
  readonly applies: (route: RouteTraits, service: ServiceTraits) => boolean;
}

const behindKey = (route: RouteTraits): boolean => routeScope(route.url) !== undefined;
const methods = (route: RouteTraits): readonly string[] => (typeof route.method === "string" ? [route.method] : route.method);

/** In the order a request meets them. */
export const ROUTE_ERRORS: readonly RouteError[] = [
  {
    code: "INVALID_REQUEST",
    routes: "every route: malformed HTTP (an HTTP/1.1 request without `Host`); with a body, one that is empty or not JSON",
    applies: () => true,
  },
  { code: "EXPECTATION_FAILED", routes: "every route: an `Expect` other than `100-continue`", applies: () => true },
  {
    code: "SHUTTING_DOWN",
    routes: "every route but `/health/live` and `/health/ready` (their own 503 report), once a graceful stop began",
    applies: (route) => !isProbePath(route.url),
  },
  { code: "HOST_NOT_ALLOWED", routes: "every route, in development only", applies: (_route, service) => service.development },
  { code: "UNAUTHORIZED", routes: "every route behind the API key (`/v1/*`, `/metrics`)", applies: behindKey },
  {
    code: "INSUFFICIENT_SCOPE",
    routes: "every route behind the API key: each needs one scope (`security` names it), which a valid key may lack",
    applies: behindKey,
  },
  {
    code: "CSRF_TOKEN_INVALID",
    routes: "every route behind the API key whose method changes state (all but GET, HEAD, OPTIONS), while the console is on",
    applies: (route, service) => service.console && behindKey(route) && methods(route).some(changesState),
  },
  { code: "PAYLOAD_TOO_LARGE", routes: "every route that takes a body", applies: (route) => route.body },
  { code: "UNSUPPORTED_MEDIA_TYPE", routes: "every route that takes a body", applies: (route) => route.body },
];

/** The codes a route can answer before its handler runs, in the table's order. */
export function routeErrorCodes(route: RouteTraits, service: ServiceTraits): ErrorCode[] {
  return ROUTE_ERRORS.filter((entry) => entry.applies(route, service)).map((entry) => entry.code);
}
