/**
 * Development answers only requests addressed to a loopback name. A page on another site can
 * rebind its own DNS name to 127.0.0.1 and then call this server as same-origin; its requests
 * still carry that name in `Host`, so refusing every other name keeps it from starting a
 * verification or reading /dev/outbox.
 */
import { isIP } from "node:net";
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { OtpError } from "../core/errors.js";
import { sendOtpError } from "./errors.js";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{0,5})?$/;

/** The name in a Host header, lower-cased and without its port; undefined when malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (typeof header !== "string") return undefined;
  return HOST_HEADER.exec(header.trim().toLowerCase())?.[1];
}

/** An address as a Host header names it: IPv6 in brackets. */
function asHostName(host: string): string {
  const lower = host.toLowerCase();
  return isIP(lower) === 6 ? `[${lower}]` : lower;
}

/** An onRequest hook (callback style: it runs on every request) refusing any Host but these and the loopback names. */
export function loopbackHostOnly(
  alsoAllowed: readonly string[] = [],
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const allowed = new Set([...LOOPBACK_NAMES, ...alsoAllowed.map(asHostName)]);
  return (request, reply, done) => {
    const header = request.raw.headers.host;
    // No Host at all is HTTP/1.0 (refuseMalformedHttp refuses it on 1.1): not a browser, which always names the host.
    if (header === undefined) return done();
    const name = hostName(header);
    if (name !== undefined && allowed.has(name)) return done();
    sendOtpError(
      reply.header("cache-control", "no-store"),
      new OtpError("HOST_NOT_ALLOWED", {
        message: "This development server answers only requests to localhost, 127.0.0.1 or [::1] (and HOST with OTP_DEV_PUBLIC=true).",
      }),
    );
  };
}
