/**
 * Writes the table of docs/errors.md from the error registry (src/core/errors.ts), between its
 * markers; the prose around it stays hand-written. `--check` only reports whether the page is
 * current. Run with `npm run docs:errors`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERRORS } from "../src/core/errors.js";

export const ERRORS_PAGE = fileURLToPath(new URL("../docs/errors.md", import.meta.url));
export const TABLE_START = "<!-- errors table: generated from src/core/errors.ts by `npm run docs:errors`, do not edit -->";
export const TABLE_END = "<!-- end of errors table -->";

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

/** `page` with the text between the markers replaced by the current table. */
export function withErrorsTable(page: string): string {
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`docs/errors.md must hold the markers ${TABLE_START} and ${TABLE_END}`);
  return `${page.slice(0, start + TABLE_START.length)}\n${errorsTable()}\n${page.slice(end)}`;
}

function main(): void {
  const current = readFileSync(ERRORS_PAGE, "utf8");
  const generated = withErrorsTable(current);
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
