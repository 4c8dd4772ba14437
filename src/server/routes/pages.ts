/** Pages and endpoints outside /v1: health, and in development the outbox and demo. */
import type { FastifyInstance, FastifyReply } from "fastify";
import { PAGE_CSP } from "../headers.js";
import type { Otp } from "../../engine/types.js";
import type { HealthReport } from "../health.js";
import { PROBE_PATHS, type ProbeReport, type Probes } from "../probes.js";
import type { Outbox } from "../outbox.js";
import { ref } from "../schemas.js";
import { DEMO_JS, STYLE_CSS } from "../pages/assets.js";
import { demoPage } from "../pages/demo.js";
import { outboxPage } from "../pages/outbox.js";

const HTML = "text/html; charset=utf-8";

/** HTML answers replace the API's CSP with the pages' one. */
function sendHtml(reply: FastifyReply, html: string): FastifyReply {
  return reply.type(HTML).header("content-security-policy", PAGE_CSP).send(html);
}
const DEMO_PURPOSE = "demo";

export interface PageRoutesOptions {
  health: () => Promise<HealthReport>;
  /** /health/live and /health/ready. */
  probes: Probes;
  /** Present only in development. */
  development?: { otp: Otp; outbox: Outbox };
}

/** A probe's answer: each check by name, with `ok` and, when failing, a stable `error` code. */

function sendProbe(reply: FastifyReply, report: ProbeReport): FastifyReply {
  return reply
    .code(report.status === "ok" ? 200 : 503)
    .header("cache-control", "no-store")
    .send(report);
}

function wantsJson(accept: string | undefined): boolean {
  return typeof accept === "string" && /\bapplication\/json\b/i.test(accept) && !/\btext\/html\b/i.test(accept);
}

export async function pageRoutes(app: FastifyInstance, options: PageRoutesOptions): Promise<void> {
  app.get(
    "/health/otp",
    {
      schema: {
        operationId: "getHealth",
        summary: "Health: keys, a generate→verify round trip and its latency, the store, the channel, the audit log's backlog",
        response: {
          200: { ...ref("HealthReport"), description: "Every check passed (status ok), or only the audit log is behind (status degraded)" },
          503: { ...ref("HealthReport"), description: "A check failed (status fail); its entry names a stable code" },
        },
      },
    },
    async (_request, reply) => {
      const report = await options.health();
      return reply
        .code(report.status === "fail" ? 503 : 200)
        .header("cache-control", "no-store")
        .send(report);
    },
  );
  app.get(
    PROBE_PATHS.live,
    {
      schema: {
        operationId: "getLiveness",
        summary: "Liveness: the process answers (503 only while shutting down)",
        response: {
          200: { ...ref("ProbeReport"), description: "The process answers" },
          503: { ...ref("ProbeReport"), description: "Shutting down (SHUTTING_DOWN)" },
        },
      },
    },
    async (_request, reply) => sendProbe(reply, options.probes.live()),
  );
  app.get(
    PROBE_PATHS.ready,
    {
      schema: {
        operationId: "getReadiness",
        summary: "Readiness: the store and the audit log answer and are migrated; channels are reported, not required",
        response: {
          200: { ...ref("ProbeReport"), description: "Ready for traffic" },
          503: { ...ref("ProbeReport"), description: "Not ready: the failing check names a stable code" },
        },
      },
    },
    async (_request, reply) => sendProbe(reply, await options.probes.ready()),
  );
  app.get("/favicon.ico", async (_request, reply) => reply.code(204).send());
  app.get("/assets/style.css", async (_request, reply) => reply.type("text/css; charset=utf-8").send(STYLE_CSS));

  const dev = options.development;
  if (!dev) return;

  const demoHtml = demoPage();
  app.get("/", async (_request, reply) => sendHtml(reply, demoHtml));
  app.get("/assets/demo.js", async (_request, reply) => reply.type("text/javascript; charset=utf-8").send(DEMO_JS));
  app.get("/dev/outbox", async (request, reply) => {
    reply.header("cache-control", "no-store");
    const messages = dev.outbox.list();
    if (wantsJson(request.headers.accept)) return reply.send({ messages });
    return sendHtml(reply, outboxPage(messages));
  });

  app.post<{ Body: { email: string } }>(
    "/dev/demo/start",
    {
      schema: {
        body: {
          type: "object",
          required: ["email"],
          additionalProperties: false,
          properties: { email: { type: "string", minLength: 1, maxLength: 320 } },
        },
      },
    },
    async (request, reply) => {
      const issued = await dev.otp.start({ identifier: request.body.email, purpose: DEMO_PURPOSE, channel: "email" });
      return reply
        .code(201)
        .header("cache-control", "no-store")
        .send({ context: issued.context, expiresAt: issued.expiresAt.toISOString() });
    },
  );

  app.post<{ Body: { context: string; code: string } }>(
    "/dev/demo/check",
    {
      schema: {
        body: {
          type: "object",
          required: ["context", "code"],
          additionalProperties: false,
          properties: { context: { type: "string" }, code: { type: "string", maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      const verified = await dev.otp.verify({ context: request.body.context, code: request.body.code, purpose: DEMO_PURPOSE });
      return reply.header("cache-control", "no-store").send({ status: "approved", identifier: verified.identifier });
    },
  );
}
