/** The API's contract: /openapi.json (generated from the route schemas) and /docs, which renders it. */
import type { FastifyInstance } from "fastify";
import { DOCS_CSP } from "../headers.js";
import { openApiDocument } from "../openapi.js";
import { DOCS_INIT_JS, docsPage, RENDERER_FILE_NAMES, rendererFile } from "../pages/docs.js";

export async function docsRoutes(app: FastifyInstance): Promise<void> {
  app.get("/openapi.json", async () => openApiDocument(app));
  const html = docsPage("otp-actions API");
  app.get("/docs", async (_request, reply) =>
    reply.type("text/html; charset=utf-8").header("content-security-policy", DOCS_CSP).send(html),
  );
  app.get("/docs/assets/init.js", async (_request, reply) => reply.type("text/javascript; charset=utf-8").send(DOCS_INIT_JS));
  for (const name of RENDERER_FILE_NAMES) {
    app.get(`/docs/assets/${name}`, async (_request, reply) => {
      const { body, type } = rendererFile(name);
      return reply.type(type).send(body);
    });
  }
}
