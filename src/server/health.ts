/**
 * /health/otp: keys usable, a generate→verify round trip through the real store (failing above a
 * latency limit), the store answering, a channel configured (with each channel's last delivery). Each check has its own timeout, so
 * the endpoint answers even when a dependency hangs.
 *
 * The endpoint is anonymous (load balancers call it), and a run costs an SMTP login, a call to
 * the SMS provider and a ledger row. So requests that arrive together share one run, and a
 * finished result answers later requests for a short while; anyone calling it in a loop costs
 * the dependencies one run per window, not one per request. A failure is reused no longer than a
 * success, so a dependency that recovers shows as recovered within the window.
 *
 * The answer names each check and its state, and on failure a stable code: a driver's message
 * can carry internal addresses and versions. The full error goes to the log, for operators.
 */
import type { AuditRecorderStatus } from "../audit/recorder.js";
import { isOtpError } from "../core/errors.js";
import { createOtp } from "../engine/create-otp.js";
import type { Otp } from "../engine/types.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { StoreTimeoutError, withTimeout } from "../core/util/with-timeout.js";
import type { WebhookStatus } from "./webhooks/dispatcher.js";
import { withWebhooksCheck } from "./webhooks/health-check.js";
import { lastDeliveries } from "./last-delivery.js";

export interface CheckResult {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HealthReport {
  /** "degraded" (answered 200): the service works, the audit log behind it does not keep up. */
  status: "ok" | "degraded" | "fail";
  /** When the checks behind this answer ran: a reused result is at most the reuse window old. */
  checkedAt: string;
  checks: {
    keys: CheckResult;
    roundTrip: CheckResult;
    store: CheckResult;
    channel: CheckResult;
    audit?: CheckResult;
    webhooks?: CheckResult;
  };
}

/** The part of a pino or Fastify logger the checks write to. */
export interface HealthLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface HealthCheckerOptions {
  /** Receives each failing check's error at warn level; the answer carries only a stable code. */
  log: HealthLogger;
  /** How long a finished result answers later requests. Default 5000; 0 shares only a run in progress. */
  reuseMs?: number;
  /** The audit recorder's state: degraded past its backlog threshold; failing when strict and full. */
  audit?: () => AuditRecorderStatus;
  /** Outgoing webhooks' counts: degraded while events are dropped or the queue is nearly full. */
  webhooks?: () => WebhookStatus;
}

const DEFAULT_REUSE_MS = 5000;
const CHECK_TIMEOUT_MS = 2000;
/** The generate → verify round trip fails above this. */
const ROUND_TRIP_LIMIT_MS = 100;
/** Longest message logged from an error: a driver's message is its author's to size. */
const MAX_LOGGED_MESSAGE = 500;

/** A check bounded by the stores' own timer: its timeout is a StoreTimeoutError, the code TIMEOUT. */
export function bounded<T>(work: () => Promise<T>): Promise<T> {
  return withTimeout(work, CHECK_TIMEOUT_MS, "health check");
}

export function healthChecker(otp: Otp, options: HealthCheckerOptions): () => Promise<HealthReport> {
  const reused = sharedAndReused(checksFor(otp, options.log), reuseMsFrom(options.reuseMs));
  const deliveries = lastDeliveries(otp);
  // Each channel's last delivery is read on every request, never reused; it informs, and does
  // not fail the check (one bad number is not an outage).
  const checks = async (): Promise<HealthReport> => {
    const report = await reused();
    const lastDelivery = deliveries();
    if (Object.keys(lastDelivery).length === 0) return report;
    return { ...report, checks: { ...report.checks, channel: { ...report.checks.channel, lastDelivery } } };
  };
  const audit = options.audit;
  // The audit log's and the webhooks' state is read from memory on every request, never reused: it moves fast.
  const withAudit = audit ? async () => withAuditCheck(await checks(), audit()) : checks;
  const webhooks = options.webhooks;
  return webhooks ? async () => withWebhooksCheck(await withAudit(), webhooks(), Date.now()) : withAudit;
}

function reuseMsFrom(value: number | undefined): number {
  if (value === undefined) return DEFAULT_REUSE_MS;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TypeError(`otp-actions: the health reuse window must be a whole number of milliseconds ≥ 0, got ${String(value)}`);
  return value;
}

/**
 * `run` behind a gate: callers while a run is in progress get that run's result, and callers
 * within `reuseMs` of its end get it too. A run that throws is not kept.
 */
export function sharedAndReused<T>(run: () => Promise<T>, reuseMs: number): () => Promise<T> {
  let running: Promise<T> | undefined;
  let last: { value: T; finishedAtMs: number } | undefined;
  return () => {
    // performance.now() is monotonic: a wall clock set back would otherwise stretch the window.
    if (last && performance.now() - last.finishedAtMs < reuseMs) return Promise.resolve(last.value);
    running ??= run()
      .then((value) => {
        last = { value, finishedAtMs: performance.now() };
        return value;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

/** One run of every check, logging each failure in full. */
function checksFor(otp: Otp, log: HealthLogger): () => Promise<HealthReport> {
  const limitMs = ROUND_TRIP_LIMIT_MS;
  // A separate engine on the same keys and store: no channels, no guard, no events, so health
  // probes never count against anyone's limits or show up in the audit log.
  const probe = createOtp({ keys: otp.keyring, store: otp.store, codeTtlSeconds: 60, sessionTtlSeconds: 60, guard: false });

  async function keys(): Promise<CheckResult> {
    return { ok: otp.keyring.kids.length > 0, count: otp.keyring.kids.length };
  }

  async function roundTrip(): Promise<CheckResult> {
    const started = performance.now();
    try {
      await bounded(async () => {
        const issued = await probe.generate({ identifier: "health-check@otp-actions.invalid", purpose: "health_check" });
        const verified = await probe.verify({ code: issued.code, context: issued.context, purpose: "health_check" });
        if (verified.id !== issued.id) throw new Error("round trip returned another verification");
      });
    } catch (error) {
      logFailure(log, { check: "roundTrip" }, error);
      return { ok: false, error: roundTripFailureCode(error), latencyMs: Math.round(performance.now() - started), limitMs };
    }
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { ok: latencyMs <= limitMs, latencyMs, limitMs };
  }

  async function store(): Promise<CheckResult> {
    try {
      await bounded(() => otp.store.health());
      // A Redis ledger says whether a crash can roll it back (snapshots only, or no persistence).
      const persistence = await persistenceOf(otp.store);
      return { ok: true, kind: otp.store.kind, ...(persistence && { persistence }) };
    } catch (error) {
      logFailure(log, { check: "store", kind: otp.store.kind }, error);
      return { ok: false, kind: otp.store.kind, error: "STORE_UNAVAILABLE" };
    }
  }

  async function channel(): Promise<CheckResult> {
    const names = [...otp.channels.keys()];
    if (names.length === 0) return { ok: false, channels: [], error: "NO_CHANNEL" };
    const failed: string[] = [];
    await Promise.all(
      [...otp.channels.values()].map(async (c) => {
        try {
          if (c.health) await bounded(() => c.health!());
        } catch (error) {
          logFailure(log, { check: "channel", channel: c.name }, error);
          failed.push(c.name);
        }
      }),
    );
    return failed.length === 0 ? { ok: true, channels: names } : { ok: false, channels: names, failing: failed, error: "DELIVERY_FAILED" };
  }

  return async () => {
    const [k, r, s, c] = await Promise.all([keys(), roundTrip(), store(), channel()]);
    const checks = { keys: k, roundTrip: r, store: s, channel: c };
    const status = Object.values(checks).every((check) => check.ok) ? "ok" : "fail";
    return { status, checkedAt: new Date().toISOString(), checks };
  };
}

/**
 * The audit log behind the service. A backlog past its threshold, or a failing write, is degraded:
 * the service still answers, and rows wait in memory. Strict and full fails: starts and checks
 * are refused until the log catches up.
 */
function withAuditCheck(report: HealthReport, status: AuditRecorderStatus): HealthReport {
  const { state, held, maxBuffered, degradedAt, strict, failing, dropped, writeFailures } = status;
  const audit = {
    ok: !(strict && state === "full"),
    state,
    buffered: held,
    degradedAt,
    maxBuffered,
    strict,
    failing,
    dropped,
    writeFailures,
  };
  const worst = report.status === "fail" || !audit.ok ? "fail" : state !== "ok" ? "degraded" : report.status;
  return { ...report, status: worst, checks: { ...report.checks, audit } };
}

/** The engine's own codes are the public registry's; anything else gets a fixed one. */
function roundTripFailureCode(error: unknown): string {
  if (isOtpError(error)) return error.code;
  if (error instanceof StoreTimeoutError) return "TIMEOUT";
  return "ROUND_TRIP_FAILED";
}

export function logFailure(log: HealthLogger, where: Record<string, unknown>, error: unknown): void {
  log.warn({ ...where, error: describeError(error) }, "health check failed");
}

/**
 * Named fields only, never the error object: pino would log every enumerable property, and an
 * engine error can carry a verification's context. One level of cause, where a channel keeps
 * the driver's own message.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: loggable(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === "string" && { code }),
    message: loggable(error.message),
    ...(error.cause instanceof Error && { cause: loggable(error.cause.message) }),
  };
}

/** A message fit for the log: no password from a connection URL, and a bounded length. */
function loggable(message: string): string {
  const withoutCredentials = message.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1[redacted]@");
  return withoutCredentials.length > MAX_LOGGED_MESSAGE ? `${withoutCredentials.slice(0, MAX_LOGGED_MESSAGE)}…` : withoutCredentials;
}

/** The store's persistence report, for stores that have one (Redis); a failure to read it is left out. */
export async function persistenceOf(store: LedgerStore): Promise<{ risk: string | null } | undefined> {
  const reader = (store as { persistence?: () => Promise<{ risk: string | null }> }).persistence;
  if (typeof reader !== "function") return undefined;
  return reader.call(store).catch(() => undefined);
}
