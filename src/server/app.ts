/**
 * The service as a Fastify app: /v1 (API key; verifications and the audit log), /health/otp,
 * /openapi.json, /docs, and in development the outbox and the demo page. Built from an engine
 * the caller made, so tests build it with any store and channel and drive it with `inject()`.
 */
import { randomUUID } from "node:crypto";
import type { ServerOptions as HttpServerOptions } from "node:http";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuditRecorderStatus } from "../audit/recorder.js";
import { OtpError } from "../core/errors.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../core/limits.js";
import type { Otp } from "../engine/types.js";
import { PROMETHEUS_CONTENT_TYPE } from "../telemetry/metrics.js";
import { consoleRoutes } from "./admin/routes.js";
import { sessionAuth } from "./admin/session-auth.js";
import { ConsoleSessions } from "./admin/sessions.js";
import type { SignInLimitOptions } from "./admin/sign-in-limit.js";
import type { ApiKeyOption } from "./api-keys.js";
import { bearerAuth } from "./auth.js";
import type { TrustProxy } from "./client-info.js";
import { clientErrorHandler, errorHandlers, sendOtpError } from "./errors.js";
import { installHttpMetrics } from "./http-metrics.js";
import { installJsonParser } from "./json-body.js";
import { installSecurityHeaders, noStore, requestIdFrom } from "./headers.js";
import { healthChecker } from "./health.js";
import { schemaParts, type SchemaPart } from "./migrations.js";
import { probes } from "./probes.js";
import { passUnsupportedExpectations, refuseMalformedHttp, refuseWhileStopping } from "./http-refusals.js";
import { loopbackHostOnly } from "./loopback-host.js";
import { installOpenApi } from "./openapi.js";
import type { Outbox } from "./outbox.js";
import { adminRoutes } from "./routes/admin.js";
import { alertRoutes } from "./routes/alerts.js";
import type { Alerter } from "./alerts/alerter.js";
import { RulesInForce } from "./alerts/rules-in-force.js";
import { auditRoutes } from "./routes/audit.js";
import { docsRoutes } from "./routes/docs.js";
import { LOG_SERIALIZERS, RequestLog } from "./request-log.js";
import { pageRoutes } from "./routes/pages.js";
import { totpRoutes } from "./routes/totp.js";
import { verificationRoutes } from "./routes/verifications.js";
import { addSharedSchemas } from "./schemas.js";
import { WarningFolder } from "./warnings.js";
import type { WebhookStatus } from "./webhooks/dispatcher.js";

export interface ServerOptions {
  otp: Otp;
  /**
   * Keys accepted as `Authorization: Bearer <key>` on /v1 and /metrics, each with its scopes
   * (api-keys.ts); a bare string is a key with every scope.
   */
  apiKeys: readonly ApiKeyOption[];
  /**
   * Enables /dev/outbox and the demo page at /, and makes every route answer only a loopback
   * `Host` (and `allowedHosts`: the configured HOST with OTP_DEV_PUBLIC). Never in production.
   */
  development?: { outbox: Outbox; allowedHosts?: readonly string[] };
  trustProxy?: TrustProxy;
  /** Request bodies above this get 413. Default 32 KiB. */
  bodyLimitBytes?: number;
  /** Fastify logger options; false (default) for none. Requests are logged as RequestLog says. */
  logger?: FastifyServerOptions["logger"];
  /** Serves POST /v1/audit/query and /v1/audit/export over this log when given. */
  auditLog?: AuditLog;
  /** Serves GET/PUT /v1/admin/alerts and GET /v1/admin/alerts/firing over these alert rules when given. */
  alerter?: Alerter;
  /** Where the alerter's rules come from and are saved; default: the alerter's, replaced in memory only. */
  alertRules?: RulesInForce;
  /** The audit recorder feeding `auditLog`: /health/otp reports its backlog. */
  audit?: { status(): AuditRecorderStatus };
  /**
   * Serves GET /metrics (Prometheus text, behind an API key with the `metrics` scope) when given,
   * followed by the HTTP requests' count and latency.
   */
  metrics?: { render(): string | Promise<string> };
  /**
   * Installs HTTP tracing (http-tracing.ts) before any route is added. A function, so that the
   * app loads @opentelemetry/api only when tracing is on.
   */
  tracing?: (app: FastifyInstance) => void;
  /** How long a client has to send a whole request, headers and body; then 408. Default 30 s. */
  requestTimeoutMs?: number;
  /** A connection silent this long while a request is in flight is closed. Default 120 s. */
  socketIdleTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long. Default 72 s. */
  keepAliveTimeoutMs?: number;
  /** How long a /health/otp result answers later requests. Default 5 s. */
  healthReuseMs?: number;
  /** True once shutdown has begun: /health/live and /health/ready answer 503. */
  stopping?: () => boolean;
  /** The tables /health/ready requires; default the store's and the audit log's. */
  schema?: readonly SchemaPart[];
  /** Outgoing webhooks: /health/otp reports their queue, and is degraded while events are dropped. */
  webhooks?: { status(): WebhookStatus };
  /** Folds repeated warnings (a 503 per request during an outage); default one line a second per cause. */
  warnings?: WarningFolder;
  /** The operator console at /admin (admin/routes.ts); on unless false. */
  console?: false | ConsoleOptions;
}

/** The console's session settings. */
export interface ConsoleOptions {
  /** A session unused this long ends. Default 900 (15 minutes). */
  idleTimeoutSeconds?: number;
  /** A session ends this long after sign-in, however busy. Default 43,200 (12 hours). */
  lifetimeSeconds?: number;
  /** A store call checking or recording a sign-out that takes longer answers 503. Default 1,000 ms. */
  storeTimeoutMs?: number;
  /** Secure `__Host-` session cookie. Default: on, but off in development (plain HTTP on loopback). */
  secureCookie?: boolean;
  signInLimit?: SignInLimitOptions;
}

const DEFAULT_CONSOLE_IDLE_TIMEOUT_SECONDS = 900;
const DEFAULT_CONSOLE_LIFETIME_SECONDS = 43_200;

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
// Longer than the slowest handler: a start whose delivery uses all its attempts takes about 31 s
// with the default delivery policy, and the socket is silent all that time.
const DEFAULT_SOCKET_IDLE_TIMEOUT_MS = 120_000;
// Fastify's default: longer than the usual load balancer idle timeout (60 s), so the balancer
// closes an idle connection first and never sends a request on one being closed here.
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** Node tests for expired requests this often; its default (30 s) would double a 30 s timeout. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000;

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.apiKeys.length === 0) throw new TypeError("otp-actions: the service needs at least one API key");
  const trustProxy = options.trustProxy ?? false;
  const timeouts = serverTimeouts(options);
  const { errorHandler, frameworkErrorHandler } = errorHandlers(options.warnings ?? new WarningFolder());
  const app = Fastify({
    logger: withSafeSerializers(options.logger ?? false),
    logController: new RequestLog(),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Fastify takes a hop count too (proxy-addr); its types list only the other forms.
    trustProxy: trustProxy as boolean | string[],
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers["x-request-id"], randomUUID),
    // Refused by refuseWhileStopping instead, in the registry's body with the service's headers.
    return503OnClosing: false,
    ...timeouts,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ajv: {
      // Validate exactly what was sent: no coercion ("1" is not 1), no silent removal of unknown fields.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });

  // Only JSON bodies: anything else is 415, not a string handed to a schema.
  app.removeContentTypeParser("text/plain");
  installJsonParser(app);
  app.setErrorHandler(errorHandler);
  // The /v1 scope's no-store hook never sees a path no route matched; a 404 is not worth caching anywhere.
  app.setNotFoundHandler((_request, reply) => sendOtpError(reply.header("cache-control", "no-store"), new OtpError("NOT_FOUND")));
  // First, so that every request has its span and its trace id in its log lines, refused ones too.
  options.tracing?.(app);
  installSecurityHeaders(app);
  passUnsupportedExpectations(app.server);
  app.addHook("onRequest", refuseMalformedHttp);
  // Stopping: told by the service before it closes the app, or the app's own close (a library user's).
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook(
    "onRequest",
    refuseWhileStopping(() => closing || (options.stopping?.() ?? false)),
  );
  if (options.development) app.addHook("onRequest", loopbackHostOnly(options.development.allowedHosts));
  const consoleOptions = options.console === false ? undefined : (options.console ?? {});
  const secureCookie = consoleOptions?.secureCookie ?? options.development === undefined;
  // Sessions are sealed with the engine's keys and sign out in its store: shared by every instance.
  const sessions =
    consoleOptions &&
    new ConsoleSessions({
      keyring: options.otp.keyring,
      apiKeys: options.apiKeys,
      store: options.otp.store,
      idleTimeoutSeconds: consoleOptions.idleTimeoutSeconds ?? DEFAULT_CONSOLE_IDLE_TIMEOUT_SECONDS,
      lifetimeSeconds: consoleOptions.lifetimeSeconds ?? DEFAULT_CONSOLE_LIFETIME_SECONDS,
      secureCookie,
      ...(consoleOptions.storeTimeoutMs !== undefined && { storeTimeoutMs: consoleOptions.storeTimeoutMs }),
    });
  const auth = bearerAuth(options.apiKeys, sessions && sessionAuth(sessions));
  // Before any route, so that every route's answers are counted.
  const metrics = options.metrics;
  const httpMetrics = metrics && installHttpMetrics(app);

  addSharedSchemas(app);
  await installOpenApi(app, { development: options.development !== undefined, console: sessions !== undefined });

  await app.register(
    async (v1) => {
      // Before auth, so its 401s are not cached either.
      v1.addHook("onRequest", noStore);
      v1.addHook("onRequest", auth);
      await verificationRoutes(v1, { otp: options.otp, trustProxy });
      await totpRoutes(v1, { otp: options.otp, trustProxy });
      if (options.auditLog) await auditRoutes(v1, { otp: options.otp, log: options.auditLog });
      await adminRoutes(v1, { otp: options.otp });
      if (options.alerter)
        await alertRoutes(v1, {
          alerter: options.alerter,
          rules:
            options.alertRules ??
            new RulesInForce({
              alerter: options.alerter,
              configured: options.alerter.rules(),
              log: (_level, message) => v1.log.warn(message),
            }),
        });
    },
    { prefix: "/v1" },
  );
  if (metrics) {
    // Behind the API key: volumes per purpose and channel are business data (Prometheus sends it
    // as a bearer token).
    await app.register(async (scope) => {
      scope.addHook("onRequest", noStore);
      scope.addHook("onRequest", auth);
      scope.get(
        "/metrics",
        {
          schema: {
            operationId: "getMetrics",
            summary: "Prometheus metrics",
            response: { 200: { description: "The Prometheus text format", content: { "text/plain": { schema: { type: "string" } } } } },
          },
        },
        async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send((await metrics.render()) + httpMetrics!.render()),
      );
    });
  }
  await pageRoutes(app, {
    health: healthChecker(options.otp, {
      log: app.log,
      reuseMs: options.healthReuseMs,
      ...(options.audit && { audit: () => options.audit!.status() }),
      ...(options.webhooks && { webhooks: () => options.webhooks!.status() }),
    }),
    probes: probes({
      store: options.otp.store,
      parts: options.schema ?? schemaParts({ store: options.otp.store, storeWhere: options.otp.store.kind, auditLog: options.auditLog }),
      channels: [...options.otp.channels.keys()],
      ...(options.audit && { audit: () => options.audit!.status() }),
      withAudit: options.auditLog !== undefined || options.audit !== undefined,
      stopping: options.stopping ?? (() => false),
      log: app.log,
    }),
    ...(options.development && { development: { otp: options.otp, outbox: options.development.outbox } }),
  });
  await docsRoutes(app);
  if (sessions)
    await consoleRoutes(app, {
      apiKeys: options.apiKeys,
      sessions,
      ...(consoleOptions?.signInLimit && { signInLimit: consoleOptions.signInLimit }),
    });
  return app;
}

/**
 * The server's timeouts. Fastify leaves the request timeout at 0 (none), so a client sending its
 * body a byte at a time would hold a connection forever.
 */
function serverTimeouts(options: ServerOptions): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: HttpServerOptions;
} {
  const requestTimeout = positiveMilliseconds("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  return {
    requestTimeout,
    connectionTimeout: positiveMilliseconds("socketIdleTimeoutMs", options.socketIdleTimeoutMs, DEFAULT_SOCKET_IDLE_TIMEOUT_MS),
    keepAliveTimeout: positiveMilliseconds("keepAliveTimeoutMs", options.keepAliveTimeoutMs, DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
    http: {
      // A request without Host is refused by a hook, in the registry's shape (see http-refusals.ts).
      requireHostHeader: false,
      // The headers are part of the request: they get no longer than all of it.
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.max(10, Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(requestTimeout / 10))),
    },
  };
}

function positiveMilliseconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`otp-actions: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Logger options with LOG_SERIALIZERS over any of the caller's: no line can carry a body or a header. */
function withSafeSerializers(logger: FastifyServerOptions["logger"]): FastifyServerOptions["logger"] {
  if (logger === false || logger === undefined) return false;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...options.serializers, ...LOG_SERIALIZERS } };
}
