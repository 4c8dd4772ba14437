/**
 * Who the end user is, for limits and audit. The service's caller is usually a backend, so its
 * connection address says nothing about the user: the IP and agent come from `client` in the
 * body, or from `X-Forwarded-For` only when OTP_TRUST_PROXY says the service sits behind a proxy
 * that sets it, else from the connection. The address is resolved by the library's own clientIpFrom,
 * as the adapters do, not by Fastify's `request.ip`: Fastify trusts no hop at all when given a
 * hop count, which would make every user the proxy and put them all on one IP budget.
 */
import type { FastifyRequest } from "fastify";
import { clientIpFrom, normalizeIp, type TrustProxy } from "../core/client-ip.js";
import type { ClientInfo } from "../contracts/events.js";

/** false (default), true (trust every hop), a hop count, or trusted addresses / CIDR ranges. */
export type { TrustProxy };

export interface BodyClient {
  ip?: string;
  userAgent?: string;
}

export function isTrusting(trustProxy: TrustProxy): boolean {
  return trustProxy !== false && trustProxy !== 0 && !(Array.isArray(trustProxy) && trustProxy.length === 0);
}

/**
 * The body's `client` fields first; what it leaves out comes from the request. Every request has
 * an IP for the limits: the body's, else the one the trusted proxies report, else the connection's
 * own (behind no proxy, that is your backend's: pass `client.ip` so each user has a budget of their own).
 */
export function clientFrom(request: FastifyRequest, bodyClient: BodyClient | undefined, trustProxy: TrustProxy): ClientInfo | undefined {
  const trusting = isTrusting(trustProxy);
  const ip =
    bodyClient?.ip ??
    (trusting
      ? clientIpFrom({ remoteAddress: request.socket.remoteAddress, forwardedFor: request.headers["x-forwarded-for"], trustProxy })
      : normalizeIp(request.socket.remoteAddress));
  const header = request.headers["user-agent"];
  const userAgent = bodyClient?.userAgent ?? (trusting && typeof header === "string" ? header.slice(0, 512) : undefined);
  if (ip === undefined && userAgent === undefined) return undefined;
  return { ...(ip !== undefined && { ip }), ...(userAgent !== undefined && { userAgent }) };
}
