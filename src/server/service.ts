/**
 * `otp-actions serve`: configuration → store → engine → HTTP. `stop()` shuts down in order: stop
 * accepting and finish in-flight requests, wait for deliveries, run the closers (audit flush),
 * close the store.
 */
import type { FastifyInstance } from "fastify";
import type { Channel } from "../contracts/channel.js";
import { createOtp } from "../engine/create-otp.js";
import type { Otp } from "../engine/types.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { buildServer } from "./app.js";
import { Alerter } from "./alerts/alerter.js";
import { RulesInForce } from "./alerts/rules-in-force.js";
import { alertRulesStoreFor } from "./alerts/rules-store.js";
import { describeError } from "./health.js";
import type { ServiceConfig } from "./config.js";
import { developmentSecrets } from "./dev-secrets.js";
import { Outbox, developmentChannels } from "./outbox.js";
import { describeStore, storeFromConfig } from "./store-from-config.js";
import { channelsFromConfig } from "./channels-from-config.js";
import { auditLogFor, describeAuditLog } from "./companions.js";
import { schemaParts } from "./migrations.js";
import { prepareStorage } from "./storage-at-start.js";
import type { CounterStore } from "../guard/counters/counter-store.js";
import { persistenceOf } from "./health.js";
import { attachAuditLog, type AuditRecorder } from "../audit/recorder.js";
import type { AuditLog } from "../audit/audit-log.js";
import { auditRecorderOptions, watchAuditBacklog } from "./audit-watch.js";
import { WarningFolder, type WarnLogger } from "./warnings.js";
import { countersFor, createGuard, type AbuseGuard } from "../guard/index.js";
import { collectDefaultMetrics, Registry } from "prom-client";
import { auditMetrics, createMetrics } from "../telemetry/metrics.js";
import { withTimeout } from "../core/util/with-timeout.js";
import { isLoopbackHost } from "../channels/http-delivery.js";
import { startTracing } from "../telemetry/otel-sdk.js";
import { VERSION } from "./version.js";
import { webhookMetrics } from "./webhooks/metrics.js";
import { startWebhooks, type RunningWebhooks } from "./webhooks/start.js";

/** How long in-flight requests get to finish on shutdown. */
const SHUTDOWN_GRACE_MS = 8000;
/**
 * How much longer a delivery may run once its request was cut. The whole shutdown stays under the
 * CLI's 10 s, with time left to flush the audit log and close the store.
 */
const DELIVERY_GRACE_MS = 1000;
/**
 * How long outgoing webhooks get to drain on shutdown; what is left is spooled for the next start,
 * so this is a chance to send, not a guarantee, and it is kept short for the CLI's 10 s.
 */
const WEBHOOK_DRAIN_MS = 500;

export interface ServiceHooks {
  /** Lines for the operator (warnings, the dev API key, the address). Default: stdout. */
  say?: (line: string) => void;
  /** Replaces the configured channels (tests). */
  channels?: Channel[];
  /** Replaces the configured store (tests). */
  store?: LedgerStore;
  /** Replaces the audit log beside the store (tests); it is migrated in development and closed on stop. */
  auditLog?: AuditLog;
  /** Extra work on shutdown, after in-flight requests and deliveries, before the store closes. */
  closers?: Array<() => Promise<void>>;
  /** Fastify logging; default pino at config.logLevel, one line per request (see request-log.ts). */
  logger?: boolean;
  /** Where the log's lines go instead of stdout (tests). */
  logStream?: { write(line: string): void };
  /** How long in-flight requests get on shutdown (tests). Default 8 s. */
  shutdownGraceMs?: number;
  /** How long outgoing webhooks get to drain on shutdown (tests). Default 500 ms. */
  webhookDrainMs?: number;
  /** The OTEL_* variables are read from here; default process.env. */
  env?: Record<string, string | undefined>;
}

export interface RunningService {
  url: string;
  app: FastifyInstance;
  otp: Otp;
  store: LedgerStore;
  apiKeys: readonly string[];
  outbox: Outbox | undefined;
  audit: AuditRecorder;
  /** Outgoing webhooks, when a subscription is configured. */
  webhooks: RunningWebhooks | undefined;
  /** The alert rules and their evaluation (`evaluate()` runs one now). */
  alerter: Alerter;
  stop(): Promise<void>;
}

export async function startService(config: ServiceConfig, hooks: ServiceHooks = {}): Promise<RunningService> {
  const say = hooks.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const secrets = config.production ? { keys: config.keys!, apiKeys: config.apiKeys! } : developmentSecrets(config, say);
  const unscoped = secrets.apiKeys.filter((key) => key.defaulted).length;
  if (unscoped > 0) say(unscopedKeysNotice(unscoped, secrets.apiKeys.length));

  const store = hooks.store ?? (await storeFromConfig(config.store));
  const storeWhere = hooks.store ? `${store.kind} (overridden)` : describeStore(config.store);
  // The audit log is fed from the engine's events in batches; stop() flushes it before the store closes.
  const auditLog = hooks.auditLog ?? (await auditLogFor(config.store, store, config.auditStore));
  const counters = config.limits.enabled ? countersFor(store) : undefined;
  const auditWhere = hooks.auditLog ? "(overridden)" : describeAuditLog(config.store, config.auditStore);
  // The rules an admin saves: a table beside a SQL audit log (migrated with it), or a file.
  const alertRulesStore = await alertRulesStoreFor(auditLog, { file: config.alerts.rulesFile, auditWhere });
  const schema = schemaParts({ store, storeWhere, counters, auditLog, ...(auditWhere && { auditWhere }), alertRules: alertRulesStore });
  // Development creates its tables on start; production runs `otp-actions migrate` as a deploy
  // step, and refuses to start without its tables unless OTP_AUTO_MIGRATE asks for them.
  let stopWaiting: () => void;
  try {
    stopWaiting = await prepareStorage({ store, storeWhere, parts: schema, autoMigrate: !config.production || config.autoMigrate, say });
  } catch (error) {
    await auditLog.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
  if (config.production && !hooks.auditLog && !auditWhere)
    say(
      `warning: the audit log is kept in memory beside a ${config.store.kind} store: its rows are lost on restart; set OTP_AUDIT_URL=postgres://… or sqlite:<path> for a durable one`,
    );
  if (config.production && !alertRulesStore && (config.alerts.rules.length > 0 || config.alerts.webhook))
    say(
      "warning: alert rules an admin saves (PUT /v1/admin/alerts) are kept in this process's memory only: lost on restart and not shared with other instances; set OTP_ALERTS_RULES_FILE or a SQL audit log (OTP_AUDIT_URL) to keep them",
    );

  const outbox = config.production ? undefined : new Outbox();
  const channels = hooks.channels ?? (await serviceChannels(config, outbox, say));
  if (channels.length === 0)
    say("warning: no delivery channel is configured; /health/otp reports it, and every start (POST /v1/verifications) fails");

  if (config.production) {
    const risk = (await persistenceOf(store))?.risk;
    if (risk) say(`warning: ${risk}`);
  }
  const guard = counters ? serviceGuard(config, counters) : undefined;
  if (config.production && guard) {
    const deliversToPhones = channels.some(
      (channel) => channel.accepts !== "email" && channel.medium !== "email" && channel.medium !== "other",
    );
    for (const warning of guard.warnings(deliversToPhones)) say(`warning: ${warning}`);
  }
  // The `policy` section's channel names are the engine's allowedChannels (its `channels` are the channels).
  const { channels: allowedChannels, ...policy } = config.policy;
  const otp = createOtp({
    keys: secrets.keys,
    store,
    channels,
    ...policy,
    ...(allowedChannels !== undefined && { allowedChannels }),
    purposes: config.purposes,
    ...(config.defaultCountry && { defaultCountry: config.defaultCountry }),
    guard: guard ?? false,
  });
  const metrics = createMetrics(otp);
  // The process's CPU, memory, event-loop lag and GC, beside the engine's and the HTTP metrics:
  // prom-client's collectors, read only when scraped.
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });

  // Warnings go to the server's log once it exists (before that, to `say`), folded by cause.
  const warnings = new WarningFolder();
  let serverLog: WarnLogger = { warn: (_fields, message) => say(`warning: ${message}`) };
  const auditWarn = (cause: string, fields: Record<string, unknown>, message: string) => warnings.warn(serverLog, cause, fields, message);
  const audit: AuditRecorder = attachAuditLog(
    otp,
    auditLog,
    auditRecorderOptions(config, auditWarn, () => audit),
  );
  const stopWatching = watchAuditBacklog(audit, auditWarn);
  const recorderMetrics = auditMetrics(audit);
  // Events spooled by the last shutdown go out first; the log is the server's once it exists.
  const webhooks = await startWebhooks(otp, config.webhooks, { warn: (fields, message) => serverLog.warn(fields, message) });
  const webhookCounts = webhooks && webhookMetrics(webhooks.dispatcher);
  const logging = hooks.logger ?? true;
  // Set when shutdown begins: the probes answer 503 from then on.
  let closing = false;
  // Strict: while the audit log cannot take more rows, starts and checks are refused (503).
  const served = config.auditStrict ? audit.refuseWhenFull(otp) : otp;
  // Spans only when OTEL_* asks for them; the SDK is then shut down by stop() or a failed listen.
  const tracing = await startTracing(hooks.env ?? process.env, VERSION);
  const httpTracing = tracing && (await import("./http-tracing.js"));
  // Alert rules on the audit log, evaluated every interval once the service listens; saved rules
  // win over the configuration's, and are read again before each evaluation.
  const alerter = new Alerter({
    log: auditLog,
    now: () => Date.now(),
    rules: config.alerts.rules,
    ...(config.alerts.webhook && { webhook: config.alerts.webhook }),
    // Instances on one store share which alerts fire: each change is posted once among them.
    store,
    refresh: (): Promise<void> => alertRules.refresh(),
    onError: (error, what) => warnings.warn(serverLog, "alerts", { what, error: describeError(error) }, "alerts: a step failed"),
  });
  if (!alerter.shared && (config.alerts.rules.length > 0 || config.alerts.webhook))
    say(
      `warning: the ${store.kind} store keeps no marks (advance): each instance keeps its own alerts and posts every change it sees, so several instances post each change several times`,
    );
  let infoLog = say;
  const alertRules: RulesInForce = new RulesInForce({
    alerter,
    configured: config.alerts.rules,
    store: alertRulesStore,
    log: (level, message) => (level === "warn" ? serverLog.warn({}, message) : infoLog(message)),
  });
  await alertRules.start();
  const app = await buildServer({
    alerter,
    alertRules,
    otp: tracing ? (await import("../telemetry/tracing.js")).withTracing(served, tracing.tracer) : served,
    ...(httpTracing && { tracing: (fastify) => httpTracing.installHttpTracing(fastify, tracing.tracer) }),
    audit,
    warnings,
    apiKeys: secrets.apiKeys,
    trustProxy: config.trustProxy,
    bodyLimitBytes: config.bodyLimitBytes,
    console: { idleTimeoutSeconds: config.consoleIdleTimeoutSeconds, lifetimeSeconds: config.consoleLifetimeSeconds },
    auditLog,
    schema,
    stopping: () => closing,
    metrics: {
      render: async () => metrics.render() + recorderMetrics.render() + (webhookCounts?.render() ?? "") + (await processMetrics.metrics()),
    },
    ...(webhooks && { webhooks: webhooks.dispatcher }),
    // A HOST other than loopback passed config only with OTP_DEV_PUBLIC=true: requests may name it.
    ...(outbox && { development: { outbox, allowedHosts: isLoopbackHost(config.host) ? [] : [config.host] } }),
    logger: logging ? { level: config.logLevel, ...(hooks.logStream && { stream: hooks.logStream }) } : false,
  });
  serverLog = app.log;
  infoLog = (line) => app.log.info(line);

  // While shutting down, answers ask the client to close its connection, so keep-alive sockets do
  // not hold the shutdown open once their in-flight request is answered.
  // A callback hook: an async one costs every response a promise.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    stopWaiting();
    await app.close().catch(() => undefined);
    await webhooks?.close(0).catch(() => undefined);
    await auditLog.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  say(
    `otp-actions ${config.production ? "production" : "development"} service on ${url} (store ${describeStore(config.store)}${hooks.store ? ", overridden" : ""})`,
  );
  alerter.start(config.alerts.intervalSeconds * 1000);
  if (outbox) say(`demo page ${url}/ · outbox ${url}/dev/outbox · API reference ${url}/docs`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      closing = true;
      stopWaiting();
      const graceMs = hooks.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
      // A client that never reads its answer cannot hold the process: cut what is left after a grace period.
      const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
      cut.unref();
      await app.close();
      clearTimeout(cut);
      // A cut request's delivery runs on: wait for it a little longer, so that its delivered or
      // delivery_failed row reaches the audit log before the log is flushed and closed.
      // Past it they are abandoned (the bound's rejection is not an error of the shutdown).
      await withTimeout(otp.close(), DELIVERY_GRACE_MS, "delivery").catch(() => undefined);
      const warn = (error: unknown) => say(`warning: shutdown step failed: ${(error as Error).message}`);
      // After the deliveries, whose events are the last; what does not go out in time is spooled.
      await webhooks?.close(hooks.webhookDrainMs ?? WEBHOOK_DRAIN_MS).catch(warn);
      stopWatching();
      await alerter.stop().catch(warn);
      await audit.close().catch(warn);
      await auditLog.close().catch(warn);
      for (const close of hooks.closers ?? []) await close().catch(warn);
      await guard?.close?.().catch(warn);
      await Promise.all([...otp.channels.values()].map((channel) => channel.close?.().catch(() => undefined)));
      await store.close();
      // Last: the spans of the requests that were in flight are sent.
      await tracing?.shutdown().catch(warn);
    })());

  return { url, app, otp, store, apiKeys: secrets.apiKeys.map(({ key }) => key), outbox, audit, webhooks, alerter, stop };
}

/** Said once at start: keys listed without scopes lost /metrics and the audit log when scopes came. */
function unscopedKeysNotice(unscoped: number, total: number): string {
  return `notice: ${unscoped} of ${total} key(s) in OTP_API_KEYS name no scope and allow only 'verify' (the /v1/verifications routes); /v1/audit/* needs 'audit' and /metrics 'metrics' (or 'admin'): list them as 'KEY verify audit metrics', scopes after the key, separated by spaces`;
}

/** The configured channels; in development, the outbox stands in for every kind not configured. */
async function serviceChannels(config: ServiceConfig, outbox: Outbox | undefined, say: (line: string) => void): Promise<Channel[]> {
  const configured = await channelsFromConfig(config.channels);
  if (!outbox) return configured;
  const names = new Set(configured.map((channel) => channel.name));
  return [...configured, ...developmentChannels(outbox, say).filter((channel) => !names.has(channel.name))];
}

/** Rate limits and lockouts as configured, counted on the store's own storage and connection. */
function serviceGuard(config: ServiceConfig, counters: CounterStore): AbuseGuard {
  return createGuard({ ...config.limits.settings, counters });
}
