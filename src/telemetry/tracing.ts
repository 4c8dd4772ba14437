import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import { isOtpError } from "../core/errors.js";
import type { GenerateInput, Otp, ResendInput, StartInput, VerifyInput } from "../otp.js";

const TRACER_NAME = "otp-actions";
const MAX_ATTRIBUTE_CHARS = 64;

/**
 * An `Otp` whose operations each run in a span: `otp.generate`, `otp.start`, `otp.resend`,
 * `otp.regenerate`, `otp.verify`, `otp.revoke`. Attributes: `otp.purpose`, `otp.channel`,
 * `otp.verification_id`, `otp.outcome` ("ok" or the error code) and `error.type`; never the code,
 * the context or the identifier. A failure the caller caused (a wrong code, an expired session)
 * leaves the span status unset; server-side failures (5xx codes, unexpected errors) set ERROR.
 * Spans are children of the active span, and the channel's own spans (fetch, SMTP) nest inside.
 */
export function withTracing(otp: Otp, tracer: Tracer = trace.getTracer(TRACER_NAME)): Otp {
  async function traced<T>(operation: string, attributes: Attributes, run: () => Promise<T>, describe: (result: T) => Attributes): Promise<T> {
    const span = tracer.startSpan(`otp.${operation}`, { kind: SpanKind.INTERNAL, attributes });
    try {
      const result = await context.with(trace.setSpan(context.active(), span), run);
      span.setAttributes({ ...describe(result), "otp.outcome": "ok" });
      return result;
    } catch (error) {
      endWithError(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  return {
    generate: (input: GenerateInput) => traced("generate", requestAttributes(input), () => otp.generate(input), issuedAttributes),
    start: (input: StartInput) => traced("start", requestAttributes(input), () => otp.start(input), issuedAttributes),
    resend: (input: ResendInput) => traced("resend", {}, () => otp.resend(input), issuedAttributes),
    regenerate: (input: ResendInput) => traced("regenerate", {}, () => otp.regenerate(input), issuedAttributes),
    verify: (input: VerifyInput) =>
      traced("verify", { ...bounded("otp.purpose", input?.purpose) }, () => otp.verify(input), (verified) => ({
        "otp.verification_id": verified.id,
        "otp.purpose": verified.purpose,
        "otp.channel": verified.channel,
        "otp.attempts": verified.attempts,
      })),
    revoke: (contextToken: unknown) => traced("revoke", {}, () => otp.revoke(contextToken), (revoked) => ({ "otp.verification_id": revoked.id })),
    on: (type, listener) => otp.on(type, listener),
    close: () => otp.close(),
    get keyring() {
      return otp.keyring;
    },
    get store() {
      return otp.store;
    },
    get channels() {
      return otp.channels;
    },
  };
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

function requestAttributes(input: GenerateInput | undefined): Attributes {
  return { ...bounded("otp.purpose", input?.purpose), ...bounded("otp.channel", input?.channel) };
}

function issuedAttributes(issued: { id: string; purpose: string; channel: string }): Attributes {
  return { "otp.verification_id": issued.id, "otp.purpose": issued.purpose, "otp.channel": issued.channel };
}

/** A caller-supplied string as an attribute only when it is a short string. */
function bounded(name: string, value: unknown): Attributes {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ATTRIBUTE_CHARS ? { [name]: value } : {};
}
