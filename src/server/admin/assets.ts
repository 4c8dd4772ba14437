/**
 * The console's front end: one script and one stylesheet, bundled by `npm run build` (esbuild,
 * from src/console/) into dist/console/ and served from this origin, so the page works offline
 * and under a CSP without 'unsafe-inline'. Read once, on first request.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The files /admin/assets/ serves, with their types. */
export const CONSOLE_FILES = {
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
} as const;
export type ConsoleFile = keyof typeof CONSOLE_FILES;

/**
 * dist/console/ beside the compiled server (dist/server/admin/ → dist/console/); when the server
 * runs from its sources (tests), the checkout's dist/console/.
 */
function bundleDirectory(): string {
  const besideCode = fileURLToPath(new URL("../../console/", import.meta.url));
  if (existsSync(`${besideCode}console.js`)) return besideCode;
  return fileURLToPath(new URL("../../../dist/console/", import.meta.url));
}

const loaded = new Map<ConsoleFile, Buffer>();

/** A bundled file and its type; undefined when the bundle was not built. */
export function consoleFile(name: ConsoleFile): { body: Buffer; type: string } | undefined {
  let body = loaded.get(name);
  if (body === undefined) {
    const path = `${bundleDirectory()}${name}`;
    if (!existsSync(path)) return undefined;
    body = readFileSync(path);
    loaded.set(name, body);
  }
  return { body, type: CONSOLE_FILES[name] };
}
