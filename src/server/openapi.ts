/**
 * /openapi.json, built from the schemas the routes are registered with: one source, so the
 * document cannot drift from what the service validates.
 */
import type { FastifyInstance, RouteOptions } from "fastify";
import { unsupportedMediaTypeResponse } from "./schemas.js";
import { VERSION } from "./version.js";

declare module "fastify" {
  interface FastifySchema {
    /** Documentation only: shown in /openapi.json and /docs. */
    summary?: string;
    description?: string;
  }
}

interface RouteSchema {
  summary?: string;
  description?: string;
  body?: unknown;
  params?: { properties?: Record<string, { description?: string } & Record<string, unknown>>; required?: readonly string[] };
  /** `contentType` (documentation only) for an answer that is not JSON. */
  response?: Record<string, { description?: string; contentType?: string } & Record<string, unknown>>;
}

interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema;
}

/** Collects every /v1 route with a schema as it is registered. Call before the routes are added. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook("onRoute", (route: RouteOptions) => {
    if (!route.schema || !route.url.startsWith("/v1/")) return;
    for (const method of [route.method].flat()) {
      if (method !== "HEAD") routes.push({ method: method.toLowerCase(), url: route.url, schema: route.schema as RouteSchema });
    }
  });
  return routes;
}

const STATUS_TEXT: Record<string, string> = { 200: "OK", 201: "Created" };

export function openApiDocument(routes: readonly CollectedRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, url, schema } of routes) {
    // The body parser answers 415 for every route that takes a body: listed here once, not in each route.
    const documented: NonNullable<RouteSchema["response"]> = {
      ...schema.response,
      ...(schema.body !== undefined && { 415: unsupportedMediaTypeResponse }),
    };
    const responses: Record<string, unknown> = {};
    for (const [status, { description, contentType, ...responseSchema }] of Object.entries(documented)) {
      responses[status] = {
        description: description ?? STATUS_TEXT[status] ?? "",
        content: { [contentType ?? "application/json"]: { schema: responseSchema } },
      };
    }
    // Fastify's `:id` is OpenAPI's `{id}`, described by the route's params schema.
    const parameters = Object.entries(schema.params?.properties ?? {}).map(([name, { description, ...param }]) => ({
      name,
      in: "path",
      required: true,
      ...(description !== undefined && { description }),
      schema: param,
    }));
    (paths[url.replace(/:(\w+)/g, "{$1}")] ??= {})[method] = {
      ...(schema.summary && { summary: schema.summary }),
      ...(schema.description && { description: schema.description }),
      security: [{ bearer: [] }],
      ...(parameters.length > 0 && { parameters }),
      ...(schema.body !== undefined && { requestBody: { required: true, content: { "application/json": { schema: schema.body } } } }),
      responses,
    };
  }
  paths["/health/otp"] = {
    get: {
      summary: "Health: keys, a generate→verify round trip and its latency, the store, the channel, the audit log's backlog",
      responses: {
        200: { description: "Every check passed (status ok), or only the audit log is behind (status degraded)" },
        503: { description: "A check failed; the body says which" },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "otp-actions",
      version: VERSION,
      description:
        "One-time codes as a service: start a verification, check the code, resend, cancel; read the audit log. Errors have the body { error, error_code, … }.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A key from OTP_API_KEYS" } } },
    paths,
  };
}
