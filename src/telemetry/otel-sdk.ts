/**
 * The service's OpenTelemetry set-up from the standard OTEL_* variables. Off unless asked for
 * (an OTLP endpoint or OTEL_TRACES_EXPORTER), and the SDK packages are optional peers loaded only
 * then, so the service starts without them. Spans go out in batches over OTLP/HTTP (protobuf by
 * default, JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json) or to the console; the exporter reads
 * its endpoint, headers and timeout from the environment itself.
 */
import type { Tracer } from "@opentelemetry/api";

export interface TracingSdk {
  /** The service's tracer: HTTP server spans and the engine's spans. */
  tracer: Tracer;
  /** Sends the spans still buffered and unregisters the SDK. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

const PACKAGES = [
  "@opentelemetry/api",
  "@opentelemetry/sdk-trace",
  "@opentelemetry/context-async-hooks",
  "@opentelemetry/core",
  "@opentelemetry/resources",
];
const SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"];

export class TracingConfigError extends Error {
  override readonly name = "TracingConfigError";
}

/** What the variables ask for: no tracing, or which exporter and sampler. */
export function tracingSettings(
  env: Env,
): { exporter: "otlp" | "console"; protocol: "http/protobuf" | "http/json"; sampler: string; ratio: number } | undefined {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  if (value("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return undefined;
  const exporters = value("OTEL_TRACES_EXPORTER")?.toLowerCase();
  const endpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? value("OTEL_EXPORTER_OTLP_ENDPOINT");
  // Unlike the SDK's own default (otlp to localhost), nothing is sent unless asked for.
  if (exporters === undefined && endpoint === undefined) return undefined;
  const exporter = exporters ?? "otlp";
  if (exporter === "none") return undefined;
  if (exporter !== "otlp" && exporter !== "console")
    throw new TracingConfigError(`OTEL_TRACES_EXPORTER must be otlp, console or none, got '${exporter.slice(0, 40)}'`);
  const protocol = (value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf").toLowerCase();
  if (protocol !== "http/protobuf" && protocol !== "http/json")
    throw new TracingConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (grpc is not supported), got '${protocol.slice(0, 40)}'`,
    );
  const sampler = (value("OTEL_TRACES_SAMPLER") ?? "parentbased_always_on").toLowerCase();
  if (!SAMPLERS.includes(sampler))
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(", ")}, got '${sampler.slice(0, 40)}'`);
  const rawRatio = value("OTEL_TRACES_SAMPLER_ARG");
  const ratio = rawRatio === undefined ? 1 : Number(rawRatio);
  if (!(ratio >= 0 && ratio <= 1))
    throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got '${rawRatio!.slice(0, 20)}'`);
  return { exporter, protocol, sampler, ratio };
}

async function load<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new TracingConfigError(
      `tracing is configured (OTEL_*) but ${name} is not installed: npm install ${[...PACKAGES, name].filter((p, i, all) => all.indexOf(p) === i).join(" ")}`,
    );
  }
}

/** Starts and registers the SDK when the variables ask for tracing; undefined otherwise. */
export async function startTracing(env: Env, serviceVersion: string): Promise<TracingSdk | undefined> {
  const settings = tracingSettings(env);
  if (!settings) return undefined;
  const api = await load<typeof import("@opentelemetry/api")>("@opentelemetry/api");
  const sdk = await load<typeof import("@opentelemetry/sdk-trace")>("@opentelemetry/sdk-trace");
  const { AsyncLocalStorageContextManager } = await load<typeof import("@opentelemetry/context-async-hooks")>(
    "@opentelemetry/context-async-hooks",
  );
  const { W3CTraceContextPropagator } = await load<typeof import("@opentelemetry/core")>("@opentelemetry/core");
  const resources = await load<typeof import("@opentelemetry/resources")>("@opentelemetry/resources");

  let exporter: import("@opentelemetry/sdk-trace").SpanExporter;
  if (settings.exporter === "console") exporter = new sdk.ConsoleSpanExporter();
  else if (settings.protocol === "http/json") {
    const { OTLPTraceExporter } = await load<typeof import("@opentelemetry/exporter-trace-otlp-http")>(
      "@opentelemetry/exporter-trace-otlp-http",
    );
    exporter = new OTLPTraceExporter();
  } else {
    const { OTLPTraceExporter } = await load<typeof import("@opentelemetry/exporter-trace-otlp-proto")>(
      "@opentelemetry/exporter-trace-otlp-proto",
    );
    exporter = new OTLPTraceExporter();
  }

  const ratio = new sdk.TraceIdRatioBasedSampler(settings.ratio);
  const root = { always_on: new sdk.AlwaysOnSampler(), always_off: new sdk.AlwaysOffSampler(), traceidratio: ratio }[
    settings.sampler.replace(/^parentbased_/, "") as "always_on" | "always_off" | "traceidratio"
  ];
  const sampler = settings.sampler.startsWith("parentbased_") ? new sdk.ParentBasedSampler({ root }) : root;
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over the service's own name and version.
  const resource = resources
    .resourceFromAttributes({ "service.name": "otp-actions", "service.version": serviceVersion })
    .merge(resources.detectResources({ detectors: [resources.resourceAttributesEnvDetector, resources.serviceNameEnvDetector] }));
  const provider = new sdk.TracerProvider({ resource, sampler, spanProcessors: [new sdk.BatchSpanProcessor({ exporter })] });

  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return {
    tracer: provider.getTracer("otp-actions", serviceVersion),
    shutdown: async () => {
      try {
        await provider.shutdown();
      } finally {
        api.trace.disable();
        api.propagation.disable();
        api.context.disable();
      }
    },
  };
}
