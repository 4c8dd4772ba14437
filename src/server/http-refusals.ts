/**
 * HTTP that Node's server would refuse on its own, with an empty body and none of the service's
 * headers: an HTTP/1.1 request without `Host` (400) and an `Expect` other than `100-continue`
 * (417). Node is told to let both through (`requireHostHeader: false`, a `checkExpectation`
 * listener), and a hook refuses them as every other answer is made: the registry's body, the
 * security headers, a request id, a line in the request log. The connection is then closed: what
 * follows on it (a body the client may or may not send) cannot be trusted to frame a next request.
 * Likewise a request that arrives once a graceful stop began, which Fastify would answer bare.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { OtpError } from "../core/errors.js";
import { sendOtpError } from "./errors.js";
import { isProbePath } from "./probes.js";

/** Requests whose `Expect` Node found unsupported, handed on to the app to refuse. */
const unsupportedExpectation = new WeakSet<IncomingMessage>();

/** Hands requests with an unsupported `Expect` to the app (`request` event) instead of Node's bare 417. */
export function passUnsupportedExpectations(server: Server): void {
  server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) => {
    unsupportedExpectation.add(request);
    server.emit("request", request, response);
  });
}

/** An onRequest hook (a callback one: it runs on every request) refusing what Node was told to let through. */
export function refuseMalformedHttp(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const raw = request.raw;
  // HTTP/1.0 may leave Host out; HTTP/1.1 must send it (RFC 9112 §3.2).
  if (raw.headers.host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1) {
    refuse(reply, new OtpError("INVALID_REQUEST", { message: "The Host header is required." }));
    return;
  }
  if (unsupportedExpectation.has(raw)) {
    refuse(reply, new OtpError("EXPECTATION_FAILED"));
    return;
  }
  done();
}

/**
 * An onRequest hook refusing requests that reach the service once its graceful stop began (on a
 * keep-alive connection still open): SHUTTING_DOWN in the registry's body with the service's
 * headers, where Fastify's own refusal has a body of its own and none of them.
 */
export function refuseWhileStopping(
  stopping: () => boolean,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    if (stopping() && !isProbePath(request.routeOptions.url)) refuse(reply, new OtpError("SHUTTING_DOWN"));
    else done();
  };
}

function refuse(reply: FastifyReply, error: OtpError): void {
  sendOtpError(reply.header("cache-control", "no-store").header("connection", "close"), error);
}
