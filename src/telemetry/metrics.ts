import { ERRORS, isOtpError } from "../core/errors.js";
import { OldestFirst } from "../core/oldest-first.js";
import type { Otp } from "../engine/types.js";
import { EVENT_TYPES, type OtpEvent, type OtpEventListener, type OtpEventType } from "../contracts/events.js";
import { Counter, Histogram, PROMETHEUS_CONTENT_TYPE, renderSample, type Labels } from "./prometheus.js";
import { wrapOperations } from "./wrap.js";

export { PROMETHEUS_CONTENT_TYPE } from "./prometheus.js";

/** Options of `createMetrics`: how labels are bounded. */
export interface MetricsOptions {
  /** The purposes to label by; any other becomes "other". Default: the first `maxPurposes` seen. */
  purposes?: readonly string[];
  /** Distinct purpose labels kept when `purposes` is not given. Default 50. */
  maxPurposes?: number;
  /** Distinct channel labels kept. Default 20. */
  maxChannels?: number;
  /** Distinct label sets per metric; further ones are counted in otp_metrics_series_dropped_total. Default 5,000. */
  maxSeries?: number;
  /** Verifications remembered to measure time to verify; the oldest are forgotten first. Default 10,000. */
  maxPending?: number;
}

/** What `createMetrics` returns: the metrics, rendered on demand. */
export interface OtpMetrics {
  /** `text/plain; version=0.0.4; charset=utf-8`: what a /metrics response should declare. */
  readonly contentType: string;
  /** All metrics in the Prometheus text exposition format. */
  render(): string;
  /**
   * An `Otp` whose operations are timed into otp_operation_duration_seconds{operation,outcome}
   * (outcome "ok" or the error code). Use it in place of the engine to get check latency.
   */
  instrument(otp: Otp): Otp;
  /** Stops listening to the engine. */
  close(): void;
}

/** What the metrics need of an engine: its event subscription. */
export interface OtpEventSource {
  /** Subscribes to the engine's events; returns what unsubscribes. */
  on(type: OtpEventType | "*", listener: OtpEventListener): () => void;
}

const LABEL_VALUE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const OTHER = "other";
const TIME_TO_VERIFY_BUCKETS = [5, 10, 20, 30, 60, 120, 300, 600, 900];
const ATTEMPT_BUCKETS = [1, 2, 3, 5, 10];
// From a memory-store check (~0.1 ms) to a slow SMTP delivery inside start (seconds).
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics from the engine's events. Labels are bounded: purposes and channels come
 * from the application (and, for a malformed request, from the caller), so they are capped and
 * anything past the cap is "other". No identifier, id or code is ever a label.
 */
export function createMetrics(otp: OtpEventSource, options: MetricsOptions = {}): OtpMetrics {
  const purposeLabel = boundedLabel(options.purposes, positive("maxPurposes", options.maxPurposes ?? 50));
  const channelLabel = boundedLabel(undefined, positive("maxChannels", options.maxChannels ?? 20));
  const limitLabel = boundedLabel(undefined, 50);
  const maxSeries = positive("maxSeries", options.maxSeries ?? 5000);
  const maxPending = positive("maxPending", options.maxPending ?? 10_000);

  const events = new Counter("otp_events_total", "Engine events by type, purpose, channel and failure reason.");
  const refusals = new Counter("otp_limit_refusals_total", "Requests refused by a rate limit or lockout, by limit.");
  const timeToVerify = new Histogram(
    "otp_time_to_verify_seconds",
    "Seconds from issuing a code to its successful check.",
    TIME_TO_VERIFY_BUCKETS,
  );
  const attempts = new Histogram(
    "otp_attempts_per_success",
    "Checks used by verifications that succeeded, the successful one included.",
    ATTEMPT_BUCKETS,
  );
  const durations = new Histogram(
    "otp_operation_duration_seconds",
    "Time spent in engine operations, by operation and outcome.",
    DURATION_BUCKETS,
  );
  const dropped = new Counter("otp_metrics_series_dropped_total", "Observations not recorded because a metric reached its label-set cap.");
  // Issue time by verification id, to measure time to verify. Insertion order makes the first
  // key the oldest, so the map is trimmed from the front.
  const issuedAt = new Map<string, number>();
  const oldestIssued = new OldestFirst(issuedAt);

  const within = (metric: Counter | Histogram, labels: Labels): boolean => {
    if (metric.size < maxSeries || metric.has(labels)) return true;
    dropped.inc({});
    return false;
  };

  const unsubscribe = otp.on("*", (event: OtpEvent) => {
    if (!KNOWN_TYPES.has(event.type)) return;
    const purpose = purposeLabel(event.purpose);
    const labels = {
      type: event.type,
      purpose,
      channel: channelLabel(event.channel),
      reason: event.reason === undefined ? "" : Object.hasOwn(ERRORS, event.reason) ? event.reason : OTHER,
    };
    if (within(events, labels)) events.inc(labels);

    if ((event.type === "rate_limited" || event.type === "locked_out") && event.limit !== undefined) {
      const refusal = { type: event.type, limit: limitLabel(event.limit) };
      if (within(refusals, refusal)) refusals.inc(refusal);
    }
    if (event.type === "generated" && event.id !== undefined) {
      issuedAt.set(event.id, event.at);
      oldestIssued.trimTo(maxPending);
    }
    if (event.type === "succeeded") {
      const started = event.id === undefined ? undefined : issuedAt.get(event.id);
      if (started !== undefined && within(timeToVerify, { purpose }))
        timeToVerify.observe({ purpose }, Math.max(0, event.at - started) / 1000);
      if (event.attempts !== undefined && within(attempts, { purpose })) attempts.observe({ purpose }, event.attempts);
    }
    if (
      (event.type === "succeeded" || event.type === "exhausted" || event.type === "revoked" || event.type === "delivery_failed") &&
      event.id !== undefined
    ) {
      issuedAt.delete(event.id);
    }
  });

  const instrument = (engine: Otp): Otp =>
    wrapOperations(engine, async (operation, _input, run) => {
      const started = performance.now();
      let outcome = "ok";
      try {
        return await run();
      } catch (error) {
        outcome = isOtpError(error) ? error.code : "error";
        throw error;
      } finally {
        const labels = { operation, outcome };
        if (within(durations, labels)) durations.observe(labels, (performance.now() - started) / 1000);
      }
    });

  return {
    contentType: PROMETHEUS_CONTENT_TYPE,
    render: () => `${[events, refusals, timeToVerify, attempts, durations, dropped].map((metric) => metric.render()).join("\n")}\n`,
    instrument,
    close: unsubscribe,
  };
}

/**
 * Maps a value to a label: an allowed value, else (without an allow-list) one of the first `max`
 * distinct well-formed values seen, else "other". Malformed values are "invalid".
 */
function boundedLabel(allowed: readonly string[] | undefined, max: number): (value: string | undefined) => string {
  const known = new Set((allowed ?? []).filter((value) => LABEL_VALUE.test(value)));
  return (value) => {
    if (value === undefined || value === "") return "";
    // Known values were checked when first seen.
    if (known.has(value)) return value;
    if (typeof value !== "string" || !LABEL_VALUE.test(value)) return "invalid";
    if (allowed === undefined && known.size < max) {
      known.add(value);
      return value;
    }
    return OTHER;
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`otp-actions: metrics ${name} must be a positive integer`);
  return value;
}

/** What the audit metrics read from an audit recorder (`attachAuditLog`'s). */
export interface AuditBacklogSource {
  /** Records held: buffered and being written. */
  readonly pending: number;
  /** Records dropped because the buffer was full. */
  readonly dropped: number;
  /** Writes that failed. */
  readonly writeFailures: number;
  /** Operations refused while a strict log was full. */
  status(): {
    /** Operations refused. */
    refused: number;
  };
}

/**
 * The audit recorder's backlog in the Prometheus text format: rows held in memory, rows dropped
 * at its bound, failed writes, and operations refused while a strict log was full. Read when
 * rendered; append it to `createMetrics(otp).render()`.
 */
export function auditMetrics(recorder: AuditBacklogSource): {
  /** The audit metrics in the text exposition format. */
  render(): string;
} {
  return {
    render: () =>
      `${[
        renderSample(
          "otp_audit_buffered_rows",
          "Audit rows held in memory, buffered or being written, not yet stored.",
          "gauge",
          recorder.pending,
        ),
        renderSample(
          "otp_audit_dropped_rows_total",
          "Audit rows dropped because the recorder held its maximum.",
          "counter",
          recorder.dropped,
        ),
        renderSample(
          "otp_audit_write_failures_total",
          "Audit writes that failed; their rows were kept and written again.",
          "counter",
          recorder.writeFailures,
        ),
        renderSample(
          "otp_audit_refused_total",
          "Starts and checks refused because a strict audit log was full.",
          "counter",
          recorder.status().refused,
        ),
      ].join("\n")}\n`,
  };
}
