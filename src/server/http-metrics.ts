/**
 * HTTP request count and latency by method, route template and status. The route is the
 * template a route was declared with (`/v1/verifications/check`), never the URL a client sent:
 * a path no route matched is counted as "unmatched", so no client can add series, or put a code
 * in a label, by inventing paths. Kept in the engine metrics' own exposition (prometheus.ts):
 * prom-client's cost more per observation (see docs/telemetry.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { Counter, Histogram } from "../telemetry/prometheus.js";

const UNMATCHED = "unmatched";
const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// From a health check (well under a millisecond) to a start whose delivery retries (tens of seconds).
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The route label of a request: its template, or "unmatched". */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED;
}

/**
 * Counts and times every answered request; returns their exposition. Call before the routes are
 * registered. The label sets are bounded by the routes, the methods and the statuses the service uses.
 */
export function installHttpMetrics(app: FastifyInstance): { render(): string } {
  const requests = new Counter("otp_http_requests_total", "HTTP requests answered, by method, route template and status.");
  const duration = new Histogram(
    "otp_http_request_duration_seconds",
    "Seconds from receiving an HTTP request to the end of its answer, by method, route template and status.",
    BUCKETS,
  );
  // A callback hook: an async one costs every response a promise.
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const labels = {
      method: METHODS.has(request.method) ? request.method : "other",
      route: routeLabel(request),
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  return { render: () => `${requests.render()}\n${duration.render()}\n` };
}
