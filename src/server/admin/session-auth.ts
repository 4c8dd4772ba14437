/**
 * A console session standing in for its key on /v1: the cookie names a live session, and a
 * state-changing request carries the session's CSRF token. The bearer auth asks this only when a
 * request has no Authorization header, so a key always means what it says.
 */
import type { FastifyRequest } from "fastify";
import { OtpError } from "../../core/errors.js";
import { sessionIdFrom } from "./cookie.js";
import { changesState, csrfMatches } from "./csrf.js";
import type { ConsoleSession, ConsoleSessions } from "./sessions.js";

export interface SessionAuthOptions {
  sessions: ConsoleSessions;
  /** Whether the cookie is the Secure `__Host-` one. */
  secureCookie: boolean;
}

/**
 * The request's session, or undefined without a live one (the caller answers 401 as for a missing
 * key); an OtpError when the session is live but a state-changing request lacks its CSRF token.
 */
export type SessionAuth = (request: FastifyRequest) => ConsoleSession | OtpError | undefined;

export function sessionAuth({ sessions, secureCookie }: SessionAuthOptions): SessionAuth {
  return (request) => {
    const id = sessionIdFrom(request, secureCookie);
    const session = id === undefined ? undefined : sessions.use(id);
    if (session === undefined) return undefined;
    if (changesState(request.method) && !csrfMatches(request, session.csrfToken)) return new OtpError("CSRF_TOKEN_INVALID");
    return session;
  };
}
