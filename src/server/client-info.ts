/**
 * Who the end user is, for limits and audit. The service's caller is usually a backend, so its
 * connection address says nothing about the user: the IP and agent come from `client` in the
 * body, or from the connection and `X-Forwarded-For` only when OTP_TRUST_PROXY says the service
 * sits behind a proxy that sets them. The address is resolved by the library's own clientIpFrom,
 * as the adapters do, not by Fastify's `request.ip`: Fastify trusts no hop at all when given a
 * hop count, which would make every user the proxy and put them all on one IP budget.
 */
import type { FastifyRequest } from "fastify";
import { clientIpFrom, type TrustProxy } from "../guard/client-ip.js";
import type { ClientInfo } from "../telemetry/events.js";

/** false (default), true (trust every hop), a hop count, or trusted addresses / CIDR ranges. */
export type { TrustProxy };

export interface BodyClient {
  ip?: string;
  userAgent?: string;
}

export function isTrusting(trustProxy: TrustProxy): boolean {
  return trustProxy !== false && trustProxy !== 0 && !(Array.isArray(trustProxy) && trustProxy.length === 0);
}

export function clientFrom(request: FastifyRequest, bodyClient: BodyClient | undefined, trustProxy: TrustProxy): ClientInfo | undefined {
  if (bodyClient && (bodyClient.ip !== undefined || bodyClient.userAgent !== undefined)) {
    return {
      ...(bodyClient.ip !== undefined && { ip: bodyClient.ip }),
      ...(bodyClient.userAgent !== undefined && { userAgent: bodyClient.userAgent }),
    };
  }
  if (!isTrusting(trustProxy)) return undefined;
  const agent = request.headers["user-agent"];
  const ip = clientIpFrom({ remoteAddress: request.socket.remoteAddress, forwardedFor: request.headers["x-forwarded-for"], trustProxy });
  if (!ip && typeof agent !== "string") return undefined;
  return { ...(ip && { ip }), ...(typeof agent === "string" && { userAgent: agent.slice(0, 512) }) };
}
