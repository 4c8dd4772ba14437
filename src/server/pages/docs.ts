/**
 * /docs: the API reference, drawn by swagger-ui from /openapi.json. Its files come from the
 * swagger-ui-dist package installed with the service (nothing from a CDN); the page starts it
 * with a script of its own rather than an inline one, so the CSP needs no 'unsafe-inline'.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { page } from "./html.js";

/** The renderer's files, by the name /docs/assets/ serves them under. */
const RENDERER_FILES = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
} as const;
export type RendererFile = keyof typeof RENDERER_FILES;
export const RENDERER_FILE_NAMES = Object.keys(RENDERER_FILES) as RendererFile[];

const rendererDirectory = (() => {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("swagger-ui-dist/package.json"));
})();

const loaded = new Map<RendererFile, Buffer>();

/** A renderer file and its type, read once on first use (the bundle is 1.7 MB). */
export function rendererFile(name: RendererFile): { body: Buffer; type: string } {
  let body = loaded.get(name);
  if (body === undefined) {
    body = readFileSync(join(rendererDirectory, name));
    loaded.set(name, body);
  }
  return { body, type: RENDERER_FILES[name] };
}

/**
 * Starts swagger-ui on the document. `validatorUrl: null`: its default sends the document to a
 * public validator for a badge, a request off this host.
 */
export const DOCS_INIT_JS = `"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    displayOperationId: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
`;

export function docsPage(title: string): string {
  return page(
    title,
    '<div id="swagger-ui"></div>',
    ["/docs/assets/swagger-ui-bundle.js", "/docs/assets/init.js"],
    ["/docs/assets/swagger-ui.css"],
  );
}
