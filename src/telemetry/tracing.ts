import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import { isOtpError } from "../core/errors.js";
import type { Otp } from "../engine/types.js";
import { wrapOperations, type OtpOperation } from "./wrap.js";

const TRACER_NAME = "otp-actions";
const MAX_ATTRIBUTE_CHARS = 64;

/**
 * An `Otp` whose operations each run in a span: `otp.generate`, `otp.start`, `otp.resend`,
 * `otp.regenerate`, `otp.verify`, `otp.revoke`. Attributes: `otp.purpose`, `otp.channel`,
 * `otp.verification_id`, `otp.outcome` ("ok" or the error code) and `error.type`; never the code,
 * the context or the identifier. A failure the caller caused (a wrong code, an expired session)
 * leaves the span status unset; server-side failures (5xx codes, unexpected errors) set ERROR.
 * Spans are children of the active span, and the channel's own spans (fetch, SMTP) nest inside.
 * The operation's events and audit rows carry the span's trace id, unless the caller gave a
 * `traceId` of its own.
 */
export function withTracing(otp: Otp, tracer: Tracer = trace.getTracer(TRACER_NAME)): Otp {
  return wrapOperations(otp, async (operation, input, run) => {
    const span = tracer.startSpan(`otp.${operation}`, { kind: SpanKind.INTERNAL, attributes: requestAttributes(operation, input) });
    try {
      const spanContext = span.spanContext();
      const traceId = isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
      const result = await context.with(trace.setSpan(context.active(), span), () => run(traceId));
      span.setAttributes({ ...resultAttributes(result), "otp.outcome": "ok" });
      return result;
    } catch (error) {
      endWithError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function endWithError(span: Span, error: unknown): void {
  if (isOtpError(error)) {
    span.setAttributes({ "otp.outcome": error.code, "error.type": error.code });
    if (error.attemptsRemaining !== undefined) span.setAttribute("otp.attempts_remaining", error.attemptsRemaining);
    if (error.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
    return;
  }
  // Not recordException: an unexpected error's message or cause may quote user input.
  const type = error instanceof Error ? error.name : "unknown";
  span.setAttributes({ "otp.outcome": "error", "error.type": type });
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** What is known before the operation runs: the purpose and channel the caller named. */
function requestAttributes(operation: OtpOperation, input: unknown): Attributes {
  if (operation === "resend" || operation === "regenerate" || operation === "revoke" || typeof input !== "object" || input === null)
    return {};
  const { purpose, channel } = input as { purpose?: unknown; channel?: unknown };
  return { ...bounded("otp.purpose", purpose), ...bounded("otp.channel", channel) };
}

/** What the result adds: every operation returns at least the verification id. */
function resultAttributes(result: unknown): Attributes {
  const { id, purpose, channel, attempts } = result as { id?: unknown; purpose?: unknown; channel?: unknown; attempts?: unknown };
  const attributes: Attributes = {};
  if (typeof id === "string") attributes["otp.verification_id"] = id;
  if (typeof purpose === "string") attributes["otp.purpose"] = purpose;
  if (typeof channel === "string") attributes["otp.channel"] = channel;
  if (typeof attempts === "number") attributes["otp.attempts"] = attempts;
  return attributes;
}

/** A caller-supplied string as an attribute only when it is a short string. */
function bounded(name: string, value: unknown): Attributes {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ATTRIBUTE_CHARS ? { [name]: value } : {};
}
