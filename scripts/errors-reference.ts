/**
 * Writes the tables of docs/errors.md between their markers: the codes from the error registry
 * (src/core/errors.ts), and the answers every route lists in /openapi.json from its guards
 * (src/server/route-errors.ts); the prose around them stays hand-written. `--check` only reports
 * whether the page is current. Run with `npm run docs:errors`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERRORS } from "../src/core/errors.js";
import { ROUTE_ERRORS } from "../src/server/route-errors.js";

export const ERRORS_PAGE = fileURLToPath(new URL("../docs/errors.md", import.meta.url));
export const TABLE_START = "<!-- errors table: generated from src/core/errors.ts by `npm run docs:errors`, do not edit -->";
export const TABLE_END = "<!-- end of errors table -->";
export const ROUTE_TABLE_START =
  "<!-- route answers table: generated from src/server/route-errors.ts by `npm run docs:errors`, do not edit -->";
export const ROUTE_TABLE_END = "<!-- end of route answers table -->";

/** A table cell: a pipe would end the cell and a line break the row. */
export function tableCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** The markdown table: one row a code, in the registry's order. */
export function errorsTable(): string {
  const rows = Object.entries(ERRORS).map(
    ([code, spec]) => `| \`${code}\` | ${spec.status} | ${tableCell(spec.message)} | ${tableCell(spec.when)} |`,
  );
  return ["| code | status | message | when |", "|---|---|---|---|", ...rows].join("\n");
}

/** The answers a route lists from its guards: one row a code, in the order a request meets them. */
export function routeErrorsTable(): string {
  const rows = ROUTE_ERRORS.map(({ code, routes }) => `| \`${code}\` | ${ERRORS[code].status} | ${tableCell(routes)} |`);
  return ["| code | status | listed by |", "|---|---|---|", ...rows].join("\n");
}

/** `page` with the text between `startMarker` and `endMarker` replaced by `table`. */
function between(page: string, startMarker: string, endMarker: string, table: string): string {
  const start = page.indexOf(startMarker);
  const end = page.indexOf(endMarker);
  if (start === -1 || end < start) throw new Error(`docs/errors.md must hold the markers ${startMarker} and ${endMarker}`);
  return `${page.slice(0, start + startMarker.length)}\n${table}\n${page.slice(end)}`;
}

/** `page` with the text between the markers replaced by the current table. */
export function withErrorsTable(page: string): string {
  return between(page, TABLE_START, TABLE_END, errorsTable());
}

/** `page` with the route answers' table replaced by the current one. */
export function withRouteErrorsTable(page: string): string {
  return between(page, ROUTE_TABLE_START, ROUTE_TABLE_END, routeErrorsTable());
}

function main(): void {
  const current = readFileSync(ERRORS_PAGE, "utf8");
  const generated = withRouteErrorsTable(withErrorsTable(current));
  if (process.argv.includes("--check")) {
    if (generated !== current) {
      process.stderr.write("docs/errors.md is out of date: run npm run docs:errors\n");
      process.exitCode = 1;
    }
    return;
  }
  if (generated !== current) writeFileSync(ERRORS_PAGE, generated);
  process.stdout.write(`docs/errors.md: ${Object.keys(ERRORS).length} codes\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
