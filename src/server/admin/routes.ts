/**
 * /admin: the operator console's page and assets, and its session (sign in, who am I, sign out).
 * Everything the console shows or does goes through the documented /v1 endpoints, which accept
 * the session cookie (with the CSRF header on changes) in place of the key (see session-auth.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../../core/errors.js";
import { SCOPES, scopeMask, type ApiKeyOption } from "../api-keys.js";
import { apiKeyIndexMatcher } from "../auth.js";
import { sendOtpError } from "../errors.js";
import { PAGE_CSP } from "../headers.js";
import { CONSOLE_FILES, type ConsoleFile, consoleFile } from "./assets.js";
import { clearedSessionCookie, sessionCookie, sessionCookieFrom } from "./cookie.js";
import { csrfMatches } from "./csrf.js";
import { consolePage } from "./page.js";
import { renew } from "./session-auth.js";
import { CONSOLE_SCOPES, type ConsoleSession, type ConsoleSessions } from "./sessions.js";
import { type SignInLimitOptions, signInLimit } from "./sign-in-limit.js";

export interface ConsoleRoutesOptions {
  apiKeys: readonly ApiKeyOption[];
  sessions: ConsoleSessions;
  signInLimit?: SignInLimitOptions;
}

const ADMIN = scopeMask(["admin"]);

/** What the page learns about its session: never the key, and the token only its own script can read. */
function sessionBody(session: ConsoleSession, idleTimeoutSeconds: number) {
  return {
    csrfToken: session.csrfToken,
    scopes:
      session.scopes === ADMIN ? ["admin"] : SCOPES.filter((scope) => scope !== "admin" && (session.scopes & scopeMask([scope])) !== 0),
    admin: session.scopes === ADMIN,
    idleTimeoutSeconds,
  };
}

const SESSION_MESSAGE =
  "Sign in to the console first: no session, or it ended (signed out, idle too long, past its lifetime, or its key removed).";

export async function consoleRoutes(app: FastifyInstance, options: ConsoleRoutesOptions): Promise<void> {
  const { sessions } = options;
  const { secureCookie } = sessions;
  const matches = apiKeyIndexMatcher(options.apiKeys);
  const limit = signInLimit(options.signInLimit);
  const html = consolePage();
  /** The request's live session, its cookie renewed on the reply when due; throws STORE_UNAVAILABLE. */
  const current = async (request: FastifyRequest, reply: FastifyReply): Promise<ConsoleSession | undefined> => {
    const session = await sessions.resume(sessionCookieFrom(request, secureCookie));
    if (session !== undefined) renew(reply, session, secureCookie);
    return session;
  };
  const noSession = (reply: FastifyReply): FastifyReply =>
    sendOtpError(
      reply.header("set-cookie", clearedSessionCookie(secureCookie)),
      new OtpError("UNAUTHORIZED", { message: SESSION_MESSAGE }),
    );

  await app.register(async (scope) => {
    scope.addHook("onRequest", async (_request, reply) => {
      reply.header("cache-control", "no-store");
    });

    scope.get("/admin", async (_request, reply) =>
      reply.type("text/html; charset=utf-8").header("content-security-policy", PAGE_CSP).send(html),
    );
    for (const name of Object.keys(CONSOLE_FILES) as ConsoleFile[]) {
      scope.get(`/admin/assets/${name}`, async (_request, reply) => {
        const file = consoleFile(name);
        if (file === undefined)
          return sendOtpError(reply, new OtpError("NOT_FOUND", { message: "The console was not built: run npm run build." }));
        return reply.type(file.type).send(file.body);
      });
    }

    scope.post<{ Body: { apiKey: string } }>(
      "/admin/session",
      {
        schema: {
          body: {
            type: "object",
            required: ["apiKey"],
            additionalProperties: false,
            properties: { apiKey: { type: "string", minLength: 1, maxLength: 512 } },
          },
        },
      },
      async (request, reply) => {
        limit(request.ip);
        const { scopes, index } = matches(request.body.apiKey);
        if (scopes === 0) return sendOtpError(reply, new OtpError("UNAUTHORIZED", { message: "That API key is not one of OTP_API_KEYS." }));
        if ((scopes & CONSOLE_SCOPES) === 0)
          return sendOtpError(
            reply,
            new OtpError("INSUFFICIENT_SCOPE", { message: "The console needs a key with the 'audit' scope (read only) or 'admin'." }),
          );
        // A new id at every sign-in, and the session of the cookie it replaces ends everywhere.
        await sessions.endCookie(sessionCookieFrom(request, secureCookie));
        const { session, cookie } = sessions.create(options.apiKeys[index]!);
        return reply
          .code(201)
          .header("set-cookie", sessionCookie(cookie, secureCookie))
          .send(sessionBody(session, sessions.idleTimeoutSeconds));
      },
    );

    scope.get("/admin/session", async (request, reply) => {
      const session = await current(request, reply);
      if (session === undefined) return noSession(reply);
      return sessionBody(session, sessions.idleTimeoutSeconds);
    });

    scope.delete("/admin/session", async (request, reply) => {
      const session = await sessions.resume(sessionCookieFrom(request, secureCookie));
      if (session === undefined) return noSession(reply);
      if (!csrfMatches(request, session.csrfToken)) return sendOtpError(reply, new OtpError("CSRF_TOKEN_INVALID"));
      await sessions.end(session);
      return reply.code(204).header("set-cookie", clearedSessionCookie(secureCookie)).send();
    });
  });
}
