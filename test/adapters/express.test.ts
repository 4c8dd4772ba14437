import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otpProtected, otpVerified } from "../../src/adapters/express.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { capturingChannel } from "../../src/testing/index.js";
import { post, clientFlowTests, wrongCode, type FlowApp } from "../helpers/client-flow.js";

function buildApp(flow: Omit<FlowApp, "baseUrl">) {
  const otp = createOtp({ keys: generateKey("k1"), channels: [flow.channel], defaultChannel: "console" });
  const app = express();
  app.use(express.json());
  app.post("/password-reset/request", otpProtected(otp), async (req, res) => {
    const issued = await req.otp!.start({ identifier: req.body.email, purpose: "password_reset", metadata: { source: "flow" } });
    res.json({ context: issued.context });
  });
  app.post("/login/request", otpProtected(otp), async (req, res) => {
    const issued = await req.otp!.start({ identifier: req.body.email, purpose: "login" });
    res.json({ context: issued.context });
  });
  app.all("/password-reset", otpVerified(otp, { purpose: "password_reset" }), (req, res) => {
    if (req.method === "GET") return void res.json({ otpContext: req.otpContext ?? null });
    flow.handled.push({ otpContext: req.otpContext, body: req.body });
    res.json({ reset: req.otpContext!.identifier });
  });
  app.post(
    "/account/email",
    otpVerified(otp, { purpose: "password_reset", identifier: (req) => req.header("x-user") }),
    (req, res) => void res.json({ ok: req.otpContext!.identifier }),
  );
  app.get("/report", otpVerified(otp, { purpose: "login", methods: ["GET"] }), (_req, res) => {
    flow.handled.push({ otpContext: undefined, body: "report" });
    res.json({ report: true });
  });
  // A check for another purpose, on DELETE only, after a login check: a POST passes it unchecked.
  app.post(
    "/chain",
    otpVerified(otp, { purpose: "login" }),
    otpVerified(otp, { purpose: "delete_account", methods: ["DELETE"] }),
    (req, res) => {
      res.json({ otpContext: req.otpContext ?? null });
    },
  );
  return app;
}

describe("express adapter over real HTTP", () => {
  const flow: FlowApp = { baseUrl: "", channel: capturingChannel(), handled: [] };
  let server: Server;

  beforeAll(async () => {
    server = buildApp(flow).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    flow.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  clientFlowTests(flow);

  it("binds the code to the identifier the app names", async () => {
    const email = "bound@example.com";
    const { context } = (await post(flow.baseUrl, "/password-reset/request", { email })).body;
    const code = flow.channel.lastCodeFor(email)!;
    const headers = { "content-type": "application/json", "x-user": "someone-else@example.com" };
    const other = await fetch(`${flow.baseUrl}/account/email`, { method: "POST", headers, body: JSON.stringify({ otp: code, context }) });
    expect(other.status).toBe(400);
    expect((await other.json()).error_code).toBe("CONTEXT_MISMATCH");
    const same = await fetch(`${flow.baseUrl}/account/email`, {
      method: "POST",
      headers: { ...headers, "x-user": "Bound@Example.com" },
      body: JSON.stringify({ otp: code, context }),
    });
    expect(same.status).toBe(200);
    expect(wrongCode("999999")).toBe("000000");
  });

  it("refuses a code when the app names no identifier for the request", async () => {
    const email = "attacker@example.com";
    const { context } = (await post(flow.baseUrl, "/password-reset/request", { email })).body;
    const response = await fetch(`${flow.baseUrl}/account/email`, {
      method: "POST",
      headers: { "content-type": "application/json" }, // no x-user: nobody signed in
      body: JSON.stringify({ otp: flow.channel.lastCodeFor(email)!, context }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error_code).toBe("CONTEXT_MISMATCH");
  });

  it("checks HEAD wherever it checks GET: the GET handler answers it", async () => {
    const handledBefore = flow.handled.length;
    const head = await fetch(`${flow.baseUrl}/report`, { method: "HEAD" });
    expect(head.status).toBe(400);
    expect(flow.handled.length).toBe(handledBefore);
  });

  it("hands a handler no context from a check for another route's purpose", async () => {
    const email = "chain@example.com";
    const { context } = (await post(flow.baseUrl, "/login/request", { email })).body;
    const response = await post(flow.baseUrl, "/chain", { otp: flow.channel.lastCodeFor(email)!, context });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ otpContext: null });
  });
});
