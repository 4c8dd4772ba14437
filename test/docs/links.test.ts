/**
 * Every relative link of the docs pages and the README points at a file that exists, and a link's
 * `#anchor` into a Markdown page names one of its headings (GitHub's slugs: lower case, punctuation
 * dropped, spaces to hyphens, a repeated heading gets -1, -2, …) or an explicit `<a id>`.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The page without its fenced code blocks and inline code spans, where `](…)` is not a link. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading's text. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/ /g, "-");
}

export function anchors(text: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(heading!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, id] of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(id!);
  return found;
}

export function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:, …
    links.push(target!);
  }
  return links;
}

const pages = [
  join(root, "README.md"),
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(root, "docs", name)),
  // The examples' READMEs: the index and one per app.
  join(root, "examples", "README.md"),
  ...readdirSync(join(root, "examples"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, "examples", entry.name, "README.md")))
    .map((entry) => join(root, "examples", entry.name, "README.md"))
    .sort(),
];

describe("relative links in the docs", () => {
  for (const page of pages) {
    const name = relative(root, page);
    it(`${name}: every relative link points at a file, and every anchor at a heading`, () => {
      const text = readFileSync(page, "utf8");
      const broken: string[] = [];
      for (const link of relativeLinks(text)) {
        const [path, anchor] = link.split("#", 2) as [string, string | undefined];
        const target = path === "" ? page : join(dirname(page), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${link}: no ${relative(root, target)}`);
          continue;
        }
        if (anchor && target.endsWith(".md") && !anchors(readFileSync(target, "utf8")).has(decodeURIComponent(anchor))) {
          broken.push(`${link}: no heading #${anchor} in ${relative(root, target)}`);
        }
      }
      expect(broken, name).toEqual([]);
    });
  }
});

describe("the link checker", () => {
  it("makes GitHub's slugs, numbering repeated headings", () => {
    expect(slug("The service (`otp-actions serve`)")).toBe("the-service-otp-actions-serve");
    expect(slug("When the log is slow, failing or down")).toBe("when-the-log-is-slow-failing-or-down");
    expect(slug("Web `Request`/`Response`: `otp-actions/fetch` (Next.js route handlers, Hono, Bun, Deno)")).toBe(
      "web-requestresponse-otp-actionsfetch-nextjs-route-handlers-hono-bun-deno",
    );
    expect([...anchors("# A\n\n## A\n\n```md\n# not a heading\n```\n## A\n")]).toEqual(["a", "a-1", "a-2"]);
  });

  it("reads links outside code only, and leaves absolute URLs alone", () => {
    const text = '[a](x.md#b) [c](https://example.com) `[d](e.md)`\n```\n[f](g.md)\n```\n[h](../src/i.ts "title")';
    expect(relativeLinks(text)).toEqual(["x.md#b", "../src/i.ts"]);
  });
});
