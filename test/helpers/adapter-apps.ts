/**
 * One app per framework adapter (Express, Fastify, fetch on node:http), each with the same routes,
 * so one table of requests can hold every adapter to the same answers:
 *
 *   POST /generate, /start, /resend, /revoke, /verify-self: the handle's calls, from a handler
 *   ALL  /checked            otpVerified for purpose "login" (default methods, default code fields)
 *   POST /checked-otp-field  the same, with codeField "otp" only
 *   POST /boom               a handler that throws a plain Error (not an OtpError)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import * as expressAdapter from "../../src/adapters/express.js";
import * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as fetchAdapter from "../../src/adapters/fetch.js";
import type { OtpHandle } from "../../src/adapters/shared.js";
import type { Otp } from "../../src/engine/types.js";

export type Framework = "express" | "fastify" | "fetch";
export const FRAMEWORKS: readonly Framework[] = ["express", "fastify", "fetch"];

export interface RunningApp {
  baseUrl: string;
  close(): Promise<void>;
}

/** The secret a non-OtpError carries: it must never reach a body in the OTP shape. */
export const INTERNAL_DETAIL = "db password hunter2";

type Body = Record<string, unknown>;

/** What each issuing route does with the handle: the same in every framework. */
const CALLS: Record<string, (handle: OtpHandle, body: Body) => Promise<unknown>> = {
  "/generate": async (handle, body) => {
    const { code, context } = await handle.generate({ identifier: body.identifier as string, purpose: "login" });
    return { code, context };
  },
  "/start": async (handle, body) => ({
    context: (await handle.start({ identifier: body.identifier as string, purpose: "login" })).context,
  }),
  "/resend": async (handle, body) => ({ context: (await handle.resend({ context: body.context })).context }),
  "/revoke": async (handle, body) => handle.revoke(body.context),
  "/verify-self": async (handle, body) => ({
    identifier: (await handle.verify({ code: body.code, context: body.context, purpose: "login" })).identifier,
  }),
};

export function startApp(framework: Framework, otp: Otp): Promise<RunningApp> {
  if (framework === "express") return startExpress(otp);
  if (framework === "fastify") return startFastify(otp);
  return startFetch(otp);
}

async function startExpress(otp: Otp): Promise<RunningApp> {
  const { otpErrorHandler, otpProtected, otpVerified } = expressAdapter;
  const app = express();
  app.use(express.json());
  for (const [path, call] of Object.entries(CALLS)) {
    app.post(path, otpProtected(otp), async (req, res) => void res.json(await call(req.otp!, req.body)));
  }
  app.all(
    "/checked",
    otpVerified(otp, { purpose: "login" }),
    (req, res) => void res.json({ identifier: req.otpContext?.identifier ?? null }),
  );
  app.post("/checked-otp-field", otpVerified(otp, { purpose: "login", codeField: "otp" }), (req, res) => {
    res.json({ identifier: req.otpContext!.identifier });
  });
  app.post("/boom", async () => {
    throw new Error(INTERNAL_DETAIL);
  });
  app.use(otpErrorHandler());
  // The app's own last handler: what a non-OtpError must reach.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ handledBy: "app" });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return running(server);
}

async function startFastify(otp: Otp): Promise<RunningApp> {
  const { otpErrorHandler, otpPlugin } = fastifyAdapter;
  const app = Fastify();
  await app.register(otpPlugin, { otp });
  await app.register(otpErrorHandler);
  for (const [path, call] of Object.entries(CALLS)) {
    app.post<{ Body: Body }>(path, async (request) => call(request.otp, request.body));
  }
  app.route({
    method: ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
    url: "/checked",
    config: { otp: { purpose: "login" } },
    handler: async (request) => ({ identifier: request.otpContext?.identifier ?? null }),
  });
  app.post("/checked-otp-field", { config: { otp: { purpose: "login", codeField: "otp" } } }, async (request) => ({
    identifier: request.otpContext!.identifier,
  }));
  app.post("/boom", async () => {
    throw new Error(INTERNAL_DETAIL);
  });
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  return { baseUrl, close: () => app.close() };
}

async function startFetch(otp: Otp): Promise<RunningApp> {
  const { otpProtected, otpVerified, withOtpErrors } = fetchAdapter;
  const handlers: Record<string, (request: Request) => Promise<Response>> = {
    "/checked": otpVerified(otp, { purpose: "login" }, async (_request, { otpContext }) =>
      Response.json({ identifier: otpContext?.identifier ?? null }),
    ),
    "/checked-otp-field": otpVerified(otp, { purpose: "login", codeField: "otp" }, async (_request, { otpContext }) =>
      Response.json({ identifier: otpContext!.identifier }),
    ),
    "/boom": withOtpErrors(async () => {
      throw new Error(INTERNAL_DETAIL);
    }),
  };
  for (const [path, call] of Object.entries(CALLS)) {
    handlers[path] = otpProtected(otp, async (request, { otp: handle }) =>
      Response.json(await call(handle, (await request.json()) as Body)),
    );
  }
  // node:http standing in for Next.js or Hono, with its own answer to a handler that throws.
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://localhost");
    const request = new Request(url, {
      method: req.method ?? "GET",
      headers: req.headers as Record<string, string>,
      ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
    });
    const handler = handlers[url.pathname];
    let response: Response;
    try {
      response = handler ? await handler(request) : new Response("not found", { status: 404 });
    } catch {
      response = Response.json({ handledBy: "framework" }, { status: 500 });
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return running(server);
}

function running(server: Server): RunningApp {
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

export async function send(app: RunningApp, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${app.baseUrl}${path}`, {
    method,
    ...(body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
