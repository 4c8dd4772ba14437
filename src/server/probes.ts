/**
 * The orchestrator's probes, in /health/otp's shape. /health/live: the process answers (503 only
 * once shutdown has begun, so nothing restarts an instance for a slow dependency).
 * /health/ready: the store and the audit log answer and hold their tables; channels are
 * reported, not required, so a mail or SMS provider's outage neither restarts nor unroutes
 * healthy instances (it shows on /health/otp). While shutting down, not ready.
 *
 * Anonymous like /health/otp: requests that arrive together share one run, and a result answers
 * for a second, so a loop of probes costs the store one catalog read a second.
 */
import type { AuditRecorderStatus } from "../audit/recorder.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { bounded, type CheckResult, type HealthLogger, logFailure, sharedAndReused } from "./health.js";
import { inspectParts, type SchemaPart } from "./migrations.js";

/** The probes' paths: while the service stops they answer their own 503 report, not SHUTTING_DOWN. */
export const PROBE_PATHS = { live: "/health/live", ready: "/health/ready" } as const;

/** Whether a route's path is one of the probes'. */
export function isProbePath(url: string | undefined): boolean {
  return url === PROBE_PATHS.live || url === PROBE_PATHS.ready;
}

export interface ProbeReport {
  status: "ok" | "fail";
  checkedAt: string;
  checks: Record<string, CheckResult>;
}

export interface ProbeOptions {
  store: LedgerStore;
  /** The tables readiness requires (ledger, guard counters, audit log). */
  parts: readonly SchemaPart[];
  /** The configured channel names, reported only. */
  channels: readonly string[];
  /** The audit recorder's state: strict and full is not ready (starts and checks are refused). */
  audit?: () => AuditRecorderStatus;
  /** Whether the service keeps an audit log: its check is then reported, in memory too. */
  withAudit: boolean;
  /** True once shutdown has begun. */
  stopping: () => boolean;
  log: HealthLogger;
  /** How long a readiness result answers later requests. Default 1000 ms. */
  reuseMs?: number;
}

const DEFAULT_READY_REUSE_MS = 1000;

export interface Probes {
  live(): ProbeReport;
  ready(): Promise<ProbeReport>;
}

export function probes(options: ProbeOptions): Probes {
  const shuttingDown = (): ProbeReport => ({
    status: "fail",
    checkedAt: new Date().toISOString(),
    checks: { process: { ok: false, error: "SHUTTING_DOWN" } },
  });
  const ready = sharedAndReused(() => readiness(options), options.reuseMs ?? DEFAULT_READY_REUSE_MS);
  return {
    live: () =>
      options.stopping() ? shuttingDown() : { status: "ok", checkedAt: new Date().toISOString(), checks: { process: { ok: true } } },
    // Read before the reused result: a shutdown shows at once.
    ready: async () => (options.stopping() ? shuttingDown() : ready()),
  };
}

async function readiness(options: ProbeOptions): Promise<ProbeReport> {
  const [store, audit] = await Promise.all([storeCheck(options), auditCheck(options)]);
  const channel: CheckResult = { ok: options.channels.length > 0, required: false, channels: [...options.channels] };
  if (options.channels.length === 0) channel.error = "NO_CHANNEL";
  const checks: Record<string, CheckResult> = { store, ...(audit && { audit }), channel };
  const status = store.ok && (audit?.ok ?? true) ? "ok" : "fail";
  return { status, checkedAt: new Date().toISOString(), checks };
}

async function storeCheck({ store, parts, log }: ProbeOptions): Promise<CheckResult> {
  const [state, down] = await Promise.all([
    inspectParts(parts.filter((part) => part.of === "store")),
    bounded(() => store.health()).then(
      () => undefined,
      (error: unknown) => error ?? new Error("store health failed"),
    ),
  ]);
  if (state.missing.length > 0)
    return { ok: false, kind: store.kind, error: "NOT_MIGRATED", missing: state.missing.map((part) => part.name) };
  const failure = state.unreachable[0]?.error ?? down;
  if (failure !== undefined) {
    logFailure(log, { check: "ready.store", kind: store.kind }, failure);
    return { ok: false, kind: store.kind, error: "STORE_UNAVAILABLE" };
  }
  return { ok: true, kind: store.kind };
}

async function auditCheck({ parts, audit, log, withAudit }: ProbeOptions): Promise<CheckResult | undefined> {
  const own = parts.filter((part) => part.of === "audit");
  if (!withAudit && own.length === 0 && !audit) return undefined;
  const state = await inspectParts(own);
  if (state.missing.length > 0) return { ok: false, error: "NOT_MIGRATED", missing: state.missing.map((part) => part.name) };
  if (state.unreachable.length > 0) {
    logFailure(log, { check: "ready.audit" }, state.unreachable[0]!.error);
    return { ok: false, error: "AUDIT_UNAVAILABLE" };
  }
  const status = audit?.();
  if (status?.strict && status.state === "full") return { ok: false, state: status.state, error: "AUDIT_FULL" };
  return { ok: true, ...(status && { state: status.state }) };
}
