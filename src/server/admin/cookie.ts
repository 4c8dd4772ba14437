/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it),
 * Path=/ (the console's calls to /v1 carry it) and, outside development, Secure with the
 * `__Host-` prefix, which the browser only accepts from HTTPS without a Domain.
 */
import { parse, serialize } from "cookie";
import type { FastifyRequest } from "fastify";

/** The cookie's name: `__Host-` needs Secure, so plain HTTP in development uses the bare one. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-otp_console" : "otp_console";
}

/**
 * The Set-Cookie value that carries a session (sealed-session.ts), at sign-in and when renewed. No
 * Max-Age: the browser drops it when closed, the server when idle or past its lifetime.
 */
export function sessionCookie(value: string, secure: boolean): string {
  return serialize(sessionCookieName(secure), value, { httpOnly: true, sameSite: "strict", secure, path: "/" });
}

/** The Set-Cookie value that removes it. */
export function clearedSessionCookie(secure: boolean): string {
  return serialize(sessionCookieName(secure), "", { httpOnly: true, sameSite: "strict", secure, path: "/", maxAge: 0 });
}

/** The session cookie's value in the request's Cookie header, if any. */
export function sessionCookieFrom(request: FastifyRequest, secure: boolean): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== "string") return undefined;
  const value = parse(header)[sessionCookieName(secure)];
  return value === undefined || value === "" ? undefined : value;
}
