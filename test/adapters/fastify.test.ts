import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otpPlugin } from "../../src/adapters/fastify.js";
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

  it("refuses a route config without a purpose at registration", async () => {
    const otp = createOtp({ keys: generateKey("k1") });
    const bad = Fastify();
    await bad.register(otpPlugin, { otp });
    expect(() => bad.post("/x", { config: { otp: {} as never } }, async () => ({}))).toThrow(/without a purpose/);
    await bad.close();
  });
});
