/**
 * Fastify plugin: `request.otp` on every route, and a code check on routes that ask for one
 * through their config:
 *
 *   await app.register(otpPlugin, { otp });
 *   await app.register(otpErrorHandler); // every OtpError answers { error, error_code, … }
 *   app.post("/password-reset", { config: { otp: { purpose: "password_reset" } } }, async (request) => {
 *     request.otpContext; // { id, identifier, purpose, metadata }
 *   });
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { OtpError } from "../core/errors.js";
import type { Otp } from "../engine/types.js";
import {
  bindHandle,
  clientInfo,
  codeFieldsOf,
  failureResponse,
  methodIsChecked,
  requiredIdentifier,
  verifyBody,
  type OtpContext,
  type OtpHandle,
  type VerifiedOptions,
} from "./shared.js";

export type { OtpContext, OtpHandle, VerifiedOptions } from "./shared.js";
export { DEFAULT_CODE_FIELDS, UNCHECKED_METHODS } from "./shared.js";

/** Per route: `config: { otp: { purpose: "password_reset" } }`. */
export type OtpRouteConfig = VerifiedOptions<FastifyRequest>;

/** Options of `otpPlugin`. */
export interface OtpPluginOptions {
  /** The engine checks run on. */
  otp: Otp;
  /** Default methods checked on routes with an `otp` config. Default: all but GET, HEAD, OPTIONS. */
  methods?: readonly string[];
  /** Default body field(s) of the code on routes with an `otp` config. Default `["code", "otp"]`. */
  codeField?: string | readonly string[];
}

declare module "fastify" {
  interface FastifyRequest {
    /** The engine's issuing calls with this request's client filled in. */
    otp: OtpHandle;
    /** Set once the code of a route with `config.otp` was accepted; null otherwise. */
    otpContext: OtpContext | null;
  }
  interface FastifyContextConfig {
    otp?: OtpRouteConfig;
  }
}

function clientOf(request: FastifyRequest) {
  // request.ip follows the instance's trustProxy option.
  return clientInfo(request.ip, request.headers["user-agent"]);
}

const plugin: FastifyPluginAsync<OtpPluginOptions> = async (fastify, options) => {
  const { otp } = options;
  if (!otp || typeof otp.verify !== "function") throw new TypeError("otp-actions: the fastify plugin needs { otp }");
  const defaultCodeFields = codeFieldsOf(options.codeField, "the fastify plugin's");

  fastify.decorateRequest("otp", null as unknown as OtpHandle);
  fastify.decorateRequest("otpContext", null);

  fastify.addHook("onRoute", (route) => {
    const config = (route.config as { otp?: OtpRouteConfig } | undefined)?.otp;
    if (config !== undefined && typeof config.purpose !== "string") {
      throw new TypeError(`otp-actions: route ${route.url} has config.otp without a purpose`);
    }
    if (config?.codeField !== undefined) codeFieldsOf(config.codeField, `route ${route.url}`);
  });

  fastify.addHook("onRequest", async (request) => {
    request.otp = bindHandle(otp, clientOf(request));
  });

  fastify.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    const config = (request.routeOptions.config as { otp?: OtpRouteConfig }).otp;
    if (config === undefined || !methodIsChecked(request.method, config.methods ?? options.methods)) return;
    try {
      const identifier = await requiredIdentifier(config.identifier, request);
      const codeFields = config.codeField === undefined ? defaultCodeFields : codeFieldsOf(config.codeField, "config.otp");
      const transaction = await config.transaction?.(request);
      request.otpContext = await verifyBody(otp, request.body, config.purpose, identifier, clientOf(request), codeFields, transaction);
    } catch (error) {
      if (!(error instanceof OtpError)) throw error;
      const failure = failureResponse(error);
      return reply.code(failure.status).headers(failure.headers).send(failure.body);
    }
  });
};

/** Registered with fastify-plugin, so the hooks apply to the routes of the scope that registers it. */
export const otpPlugin = fp(plugin, { fastify: "5.x", name: "otp-actions" });
export default otpPlugin;

/**
 * For an error handler of the app's own: answers an `OtpError` with its status and
 * `{ error, error_code, … }` and returns true; anything else is left to the caller (false).
 */
export function replyWithOtpError(error: unknown, reply: FastifyReply): boolean {
  if (!(error instanceof OtpError)) return false;
  const failure = failureResponse(error);
  reply.code(failure.status).headers(failure.headers).send(failure.body);
  return true;
}

const errorHandler: FastifyPluginAsync = async (fastify) => {
  fastify.setErrorHandler((error: FastifyError | OtpError, _request, reply) => {
    // Rethrown, an error reaches the handler this one replaced: Fastify's default unless the app set one.
    if (!replyWithOtpError(error, reply)) throw error;
    return reply;
  });
};

/**
 * Error handler for the scope that registers it: an `OtpError` thrown by any route (a refused
 * `request.otp.start`, `resend`, `revoke`…) answers its status and `{ error, error_code, … }`,
 * with `Retry-After` where it has one; every other error goes to the handler in force before.
 */
export const otpErrorHandler = fp(errorHandler, { fastify: "5.x", name: "otp-actions-errors" });
