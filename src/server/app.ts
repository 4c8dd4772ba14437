/**
 * The service as a Fastify app: /v1 (API key; verifications and the audit log), /health/otp,
 * /openapi.json, /docs, and in development the outbox and the demo page. Built from an engine
 * the caller made, so tests build it with any store and channel and drive it with `inject()`.
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { AuditLog } from "../audit/audit-log.js";
import { OtpError } from "../core/errors.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../core/limits.js";
import type { Otp } from "../otp.js";
import { PROMETHEUS_CONTENT_TYPE } from "../telemetry/metrics.js";
import { bearerAuth } from "./auth.js";
import type { TrustProxy } from "./client-info.js";
import { errorHandler, sendOtpError } from "./errors.js";
import { installJsonParser } from "./json-body.js";
import { installSecurityHeaders, requestIdFrom } from "./headers.js";
import { healthChecker } from "./health.js";
import { collectRoutes, openApiDocument } from "./openapi.js";
import type { Outbox } from "./outbox.js";
import { auditRoutes } from "./routes/audit.js";
import { LOG_SERIALIZERS, RequestLog } from "./request-log.js";
import { pageRoutes } from "./routes/pages.js";
import { verificationRoutes } from "./routes/verifications.js";

export interface ServerOptions {
  otp: Otp;
  /** Keys accepted as `Authorization: Bearer <key>` on /v1. */
  apiKeys: readonly string[];
  /** Enables /dev/outbox and the demo page at /. Never in production. */
  development?: { outbox: Outbox };
  trustProxy?: TrustProxy;
  /** Request bodies above this get 413. Default 32 KiB. */
  bodyLimitBytes?: number;
  /** Fastify logger options; false (default) for none. Requests are logged as RequestLog says. */
  logger?: FastifyServerOptions["logger"];
  /** Serves POST /v1/audit/query and /v1/audit/export over this log when given. */
  auditLog?: AuditLog;
  /** Serves GET /metrics (Prometheus text, behind the API key) when given. */
  metrics?: { render(): string };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.apiKeys.length === 0) throw new TypeError("otp-actions: the service needs at least one API key");
  const trustProxy = options.trustProxy ?? false;
  const app = Fastify({
    logger: withSafeSerializers(options.logger ?? false),
    logController: new RequestLog(),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Fastify takes a hop count too (proxy-addr); its types list only the other forms.
    trustProxy: trustProxy as boolean | string[],
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers["x-request-id"], randomUUID),
    return503OnClosing: true,
    ajv: {
      // Validate exactly what was sent: no coercion ("1" is not 1), no silent removal of unknown fields.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });

  // Only JSON bodies: anything else is 415, not a string handed to a schema.
  app.removeContentTypeParser("text/plain");
  installJsonParser(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => sendOtpError(reply, new OtpError("NOT_FOUND")));
  installSecurityHeaders(app);
  const auth = bearerAuth(options.apiKeys);

  const routes = collectRoutes(app);
  let document: Record<string, unknown> | undefined;
  const openApi = () => (document ??= openApiDocument(routes));

  await app.register(
    async (v1) => {
      v1.addHook("onRequest", auth);
      await verificationRoutes(v1, { otp: options.otp, trustProxy });
      if (options.auditLog) await auditRoutes(v1, { otp: options.otp, log: options.auditLog });
    },
    { prefix: "/v1" },
  );
  const metrics = options.metrics;
  if (metrics) {
    // Behind the API key: volumes per purpose and channel are business data (Prometheus sends it
    // as a bearer token).
    await app.register(async (scope) => {
      scope.addHook("onRequest", auth);
      scope.get("/metrics", async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).header("cache-control", "no-store").send(metrics.render()));
    });
  }
  await pageRoutes(app, {
    health: healthChecker(options.otp),
    openApi,
    ...(options.development && { development: { otp: options.otp, outbox: options.development.outbox } }),
  });
  return app;
}

/** Logger options with LOG_SERIALIZERS over any of the caller's: no line can carry a body or a header. */
function withSafeSerializers(logger: FastifyServerOptions["logger"]): FastifyServerOptions["logger"] {
  if (logger === false || logger === undefined) return false;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...options.serializers, ...LOG_SERIALIZERS } };
}
