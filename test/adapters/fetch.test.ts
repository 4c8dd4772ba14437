import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otpProtected, otpVerified } from "../../src/adapters/fetch.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { capturingChannel } from "../../src/testing/index.js";
import { clientFlowTests, type FlowApp } from "../helpers/client-flow.js";

/** A tiny Web-handler router on node:http, standing in for Next.js or Hono. */
function buildHandlers(flow: Omit<FlowApp, "baseUrl">): Record<string, (request: Request) => Promise<Response>> {
  const otp = createOtp({ keys: generateKey("k1"), channels: [flow.channel], defaultChannel: "console" });
  const requestFor = (purpose: string, metadata?: Record<string, unknown>) =>
    otpProtected(otp, async (request, { otp: handle }) => {
      const { email } = (await request.json()) as { email: string };
      const issued = await handle.start({ identifier: email, purpose, ...(metadata && { metadata }) });
      return Response.json({ context: issued.context });
    });
  return {
    "/password-reset/request": requestFor("password_reset", { source: "flow" }),
    "/login/request": requestFor("login"),
    "/password-reset": otpVerified(otp, { purpose: "password_reset" }, async (request, { otpContext, body }) => {
      if (request.method === "GET") return Response.json({ otpContext });
      flow.handled.push({ otpContext, body });
      return Response.json({ reset: otpContext!.identifier });
    }),
  };
}

describe("fetch adapter over real HTTP", () => {
  const flow: FlowApp = { baseUrl: "", channel: capturingChannel(), handled: [] };
  let server: Server;

  beforeAll(async () => {
    const handlers = buildHandlers(flow);
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? "/", "http://localhost");
      const request = new Request(url, {
        method: req.method ?? "GET",
        headers: req.headers as Record<string, string>,
        ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
      });
      const handler = handlers[url.pathname];
      const response = handler ? await handler(request) : new Response("not found", { status: 404 });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    flow.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  clientFlowTests(flow);

  it("answers malformed JSON as missing fields", async () => {
    const response = await fetch(`${flow.baseUrl}/password-reset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect((await response.json()).error_code).toBe("MISSING_FIELDS");
  });
});
