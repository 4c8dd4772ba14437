import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import { isOtpError } from "../core/errors.js";
import type { Otp } from "../engine/types.js";
import { wrapOperations, type OtpOperation } from "./wrap.js";

const TRACER_NAME = "otp-actions";
const MAX_ATTRIBUTE_CHARS = 64;
/** The purpose factor operations count and report under (the engine's `TOTP_PURPOSE`). */
const TOTP_PURPOSE = "totp";
/** A verification id's form (the engine's `VERIFICATION_ID_PATTERN`). */
const VERIFICATION_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * An `Otp` whose operations each run in a span: `otp.generate`, `otp.start`, `otp.resend`,
 * `otp.regenerate`, `otp.verify`, `otp.revoke`, the operator's `otp.cancel` and `otp.unlock`, and
 * the factor operations `otp.totp.enrol`, `otp.totp.confirm`, `otp.totp.verify`,
 * `otp.totp.recoveryCodes`, `otp.totp.useRecoveryCode`. Attributes: `otp.purpose`, `otp.channel`,
 * `otp.verification_id` (or `otp.factor_id`), `otp.lifted`, `otp.outcome` ("ok" or the error code)
 * and `error.type`; never the code, the context, the identifier, a factor's secret, blob or
 * recovery codes. A failure the caller caused (a wrong code, an expired session) leaves the span
 * status unset; server-side failures (5xx codes, unexpected errors) set ERROR.
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

/** What is known before the operation runs: the purpose and channel the caller named, the id an operator cancels. */
function requestAttributes(operation: OtpOperation, input: unknown): Attributes {
  // A factor's input holds its code and sealed blob; only the purpose its events carry is told.
  if (operation.startsWith("totp.")) return { "otp.purpose": TOTP_PURPOSE };
  // Checked against the id's form, so nothing else a caller sends (a code, an address) is copied.
  if (operation === "cancel") return typeof input === "string" && VERIFICATION_ID.test(input) ? { "otp.verification_id": input } : {};
  if (operation === "resend" || operation === "regenerate" || operation === "revoke" || typeof input !== "object" || input === null)
    return {};
  const { purpose, channel } = input as { purpose?: unknown; channel?: unknown };
  if (operation === "unlock") return bounded("otp.purpose", purpose);
  return { ...bounded("otp.purpose", purpose), ...bounded("otp.channel", channel) };
}

/**
 * What the result adds: the verification (or factor) id, and what a check or unlock reports.
 * Read field by field, so a secret, a code or a factor blob in a result never becomes an attribute.
 */
function resultAttributes(result: unknown): Attributes {
  const { id, factorId, purpose, channel, attempts, lifted } = result as {
    id?: unknown;
    factorId?: unknown;
    purpose?: unknown;
    channel?: unknown;
    attempts?: unknown;
    lifted?: unknown;
  };
  const attributes: Attributes = {};
  if (typeof id === "string") attributes["otp.verification_id"] = id;
  if (typeof factorId === "string") attributes["otp.factor_id"] = factorId;
  if (typeof purpose === "string") attributes["otp.purpose"] = purpose;
  if (typeof channel === "string") attributes["otp.channel"] = channel;
  if (typeof attempts === "number") attributes["otp.attempts"] = attempts;
  if (typeof lifted === "boolean") attributes["otp.lifted"] = lifted;
  return attributes;
}

/** A caller-supplied string as an attribute only when it is a short string. */
function bounded(name: string, value: unknown): Attributes {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ATTRIBUTE_CHARS ? { [name]: value } : {};
}
