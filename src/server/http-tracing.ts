/**
 * An HTTP server span per request, named after the method and route template (`POST
 * /v1/verifications/check`), with the status code; the route handler runs inside it, so the
 * engine's spans (telemetry/tracing.ts) are its children. A `traceparent` header continues the
 * caller's trace. Attributes hold no URL, header or body: a path no route matched, a query
 * string, the API key and the request's codes and contexts never reach a span. Every log line of
 * the request carries its trace and span ids beside the request id.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteHandlerMethod } from "fastify";

const spans = new WeakMap<FastifyRequest, { span: Span; context: Context }>();

/** Installs the hooks. Call before the routes are registered: the handlers are wrapped as they are added. */
export function installHttpTracing(app: FastifyInstance, tracer: Tracer): void {
  app.addHook("onRoute", (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function traced(this: FastifyInstance, request, reply) {
      const active = spans.get(request);
      return active ? context.with(active.context, handler, this, request, reply) : handler.call(this, request, reply);
    } as RouteHandlerMethod;
  });

  app.addHook("onRequest", (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const route = request.routeOptions.url;
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, ...(route !== undefined && { "http.route": route }) },
      },
      parent,
    );
    spans.set(request, { span, context: trace.setSpan(parent, span) });
    const { traceId, spanId } = span.spanContext();
    // Fastify gives the reply the request's logger when both are made: both are replaced.
    const log = request.log.child({ trace_id: traceId, span_id: spanId });
    request.log = log;
    reply.log = log;
    done();
  });

  const end = (request: FastifyRequest, status: number | undefined) => {
    const active = spans.get(request);
    if (!active) return;
    spans.delete(request);
    if (status !== undefined) {
      active.span.setAttribute("http.response.status_code", status);
      // Server-side failures only: a 4xx is the client's, as the HTTP semantic conventions say.
      if (status >= 500) active.span.setAttributes({ "error.type": String(status) }).setStatus({ code: SpanStatusCode.ERROR });
    } else {
      active.span.setAttribute("error.type", "aborted");
    }
    active.span.end();
  };
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook("onRequestAbort", (request: FastifyRequest, done: HookHandlerDoneFunction) => {
    end(request, undefined);
    done();
  });
}
