/**
 * A console session standing in for its key on /v1: the cookie holds a live session, and a
 * state-changing request carries the session's CSRF token. The bearer auth asks this only when a
 * request has no Authorization header, so a key always means what it says.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../../core/errors.js";
import { sessionCookie, sessionCookieFrom } from "./cookie.js";
import { changesState, csrfMatches } from "./csrf.js";
import type { ConsoleSession, ConsoleSessions } from "./sessions.js";

/**
 * The request's session, or undefined without a live one (the caller answers 401 as for a missing
 * key). Rejects with an OtpError when the session is live but a state-changing request lacks its
 * CSRF token (403), or when the store cannot tell whether it signed out (503). A renewed cookie
 * is set on the reply.
 */
export type SessionAuth = (request: FastifyRequest, reply: FastifyReply) => Promise<ConsoleSession | undefined>;

export function sessionAuth(sessions: ConsoleSessions): SessionAuth {
  return async (request, reply) => {
    const session = await sessions.resume(sessionCookieFrom(request, sessions.secureCookie));
    if (session === undefined) return undefined;
    if (changesState(request.method) && !csrfMatches(request, session.csrfToken)) throw new OtpError("CSRF_TOKEN_INVALID");
    renew(reply, session, sessions.secureCookie);
    return session;
  };
}

/** Sends the session's renewed cookie, when it has one, with the attributes of the first. */
export function renew(reply: FastifyReply, session: ConsoleSession, secure: boolean): void {
  if (session.renewed !== undefined) reply.header("set-cookie", sessionCookie(session.renewed, secure));
}
