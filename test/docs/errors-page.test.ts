/**
 * docs/errors.md's tables are generated from the error registry and from the table of the answers
 * every route lists: a code added, renamed or reworded, or a route answer added, without running
 * `npm run docs:errors` fails here, and so does a code without a "when".
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/core/errors.js";
import { ROUTE_ERRORS } from "../../src/server/route-errors.js";
import {
  ERRORS_PAGE,
  TABLE_END,
  TABLE_START,
  errorsTable,
  routeErrorsTable,
  tableCell,
  withErrorsTable,
  withRouteErrorsTable,
} from "../../scripts/errors-reference.js";

describe("docs/errors.md", () => {
  it("holds the tables generated from the registry and from the answers every route lists", () => {
    const page = readFileSync(ERRORS_PAGE, "utf8");
    expect(page, "docs/errors.md is out of date: run npm run docs:errors").toBe(withRouteErrorsTable(withErrorsTable(page)));
    const routeTable = routeErrorsTable();
    for (const { code } of ROUTE_ERRORS) expect(routeTable).toContain(`| \`${code}\` | ${ERRORS[code].status} |`);
  });

  it("has a row with a when for every code, and keeps the prose around the markers", () => {
    const table = errorsTable();
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(spec.when.trim(), code).not.toBe("");
      expect(table).toContain(`| \`${code}\` | ${spec.status} |`);
    }
    const page = `intro\n\n${TABLE_START}\nstale\n${TABLE_END}\n\nafter\n`;
    expect(withErrorsTable(page)).toBe(`intro\n\n${TABLE_START}\n${table}\n${TABLE_END}\n\nafter\n`);
  });

  it("escapes what would break a row, and refuses a page without its markers", () => {
    expect(tableCell("a | b\n  c")).toBe("a \\| b c");
    expect(() => withErrorsTable("no markers")).toThrow(/markers/);
  });
});
