import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otpErrorHandler, otpPlugin, replyWithOtpError } from "../../src/adapters/fastify.js";
import { OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { capturingChannel } from "../../src/testing/index.js";
import { clientFlowTests, type FlowApp } from "../helpers/client-flow.js";

async function buildApp(flow: Omit<FlowApp, "baseUrl">): Promise<FastifyInstance> {
  const otp = createOtp({ keys: generateKey("k1"), channels: [flow.channel], defaultChannel: "console" });
  const app = Fastify();
  await app.register(otpPlugin, { otp });
  app.post<{ Body: { email: string } }>("/password-reset/request", async (request) => {
    const issued = await request.otp.start({ identifier: request.body.email, purpose: "password_reset", metadata: { source: "flow" } });
    return { context: issued.context };
  });
  app.post<{ Body: { email: string } }>("/login/request", async (request) => {
    return { context: (await request.otp.start({ identifier: request.body.email, purpose: "login" })).context };
  });
  app.route({
    method: ["GET", "POST"],
    url: "/password-reset",
    config: { otp: { purpose: "password_reset" } },
    handler: async (request) => {
      if (request.method === "GET") return { otpContext: request.otpContext };
      flow.handled.push({ otpContext: request.otpContext, body: request.body });
      return { reset: request.otpContext!.identifier };
    },
  });
  app.get("/open", async (request) => ({ otpContext: request.otpContext }));
  app.post(
    "/account/email",
    { config: { otp: { purpose: "password_reset", identifier: (request) => request.headers["x-user"] as string | undefined } } },
    async (request) => ({
      ok: request.otpContext!.identifier,
    }),
  );
  app.get("/report", { config: { otp: { purpose: "login", methods: ["GET"] } } }, async () => {
    flow.handled.push({ otpContext: undefined, body: "report" });
    return { report: true };
  });
  return app;
}

describe("fastify plugin over real HTTP", () => {
  const flow: FlowApp = { baseUrl: "", channel: capturingChannel(), handled: [] };
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await buildApp(flow);
    flow.baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => app.close());

  clientFlowTests(flow);

  it("refuses a code when the route names no identifier for the request", async () => {
    const email = "attacker@example.com";
    const { context } = (await app.inject({ method: "POST", url: "/password-reset/request", payload: { email } })).json();
    const response = await app.inject({
      method: "POST",
      url: "/account/email",
      payload: { otp: flow.channel.lastCodeFor(email)!, context },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error_code).toBe("CONTEXT_MISMATCH");
  });

  it("checks HEAD wherever it checks GET: the GET handler answers it", async () => {
    const handledBefore = flow.handled.length;
    const head = await app.inject({ method: "HEAD", url: "/report" });
    expect(head.statusCode).toBe(400);
    expect(flow.handled.length).toBe(handledBefore);
  });

  it("leaves routes without config.otp alone", async () => {
    const response = await app.inject({ method: "GET", url: "/open" });
    expect(response.json()).toEqual({ otpContext: null });
  });

  it("the error handler answers OtpErrors and hands every other error to the app's handler set before it", async () => {
    const scoped = Fastify();
    scoped.setErrorHandler(async (_error, _request, reply) => reply.code(500).send({ handledBy: "app" }));
    await scoped.register(async (routes) => {
      await routes.register(otpErrorHandler);
      routes.get("/otp", async () => {
        throw new OtpError("CANCELED");
      });
      routes.get("/other", async () => {
        throw new Error("not an OtpError");
      });
    });
    const otpAnswer = await scoped.inject({ method: "GET", url: "/otp" });
    expect(otpAnswer.statusCode).toBe(410);
    expect(otpAnswer.json()).toEqual({ error: "The verification was canceled.", error_code: "CANCELED" });
    const other = await scoped.inject({ method: "GET", url: "/other" });
    expect(other.json()).toEqual({ handledBy: "app" });
    await scoped.close();
  });

  it("replyWithOtpError answers OtpErrors inside an error handler of the app's own", async () => {
    const own = Fastify();
    own.setErrorHandler(async (error, _request, reply) => {
      if (!replyWithOtpError(error, reply)) return reply.code(500).send({ handledBy: "app" });
    });
    own.get("/otp", async () => {
      throw new OtpError("RATE_LIMITED", { retryAfterSeconds: 7 });
    });
    own.get("/other", async () => {
      throw new Error("not an OtpError");
    });
    const limited = await own.inject({ method: "GET", url: "/otp" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("7");
    expect(limited.json()).toMatchObject({ error_code: "RATE_LIMITED", retry_after_seconds: 7 });
    expect((await own.inject({ method: "GET", url: "/other" })).json()).toEqual({ handledBy: "app" });
    await own.close();
  });

  it("refuses a route config without a purpose at registration", async () => {
    const otp = createOtp({ keys: generateKey("k1") });
    const bad = Fastify();
    await bad.register(otpPlugin, { otp });
    expect(() => bad.post("/x", { config: { otp: {} as never } }, async () => ({}))).toThrow(/without a purpose/);
    await bad.close();
  });
});
