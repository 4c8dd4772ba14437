/**
 * Every docs page's runnable examples run. A ```ts block right after a `<!-- run -->` line is a
 * complete program: it is written to a file of its own under test/ (its `otp-actions` imports
 * pointed at src through package.json's exports), and run with tsx in a fresh folder that is its
 * working directory, with OTP_KEYS from generateKey; it must exit 0. The marker names what else a
 * block needs: `<!-- run: postgres -->` (DATABASE_URL, a schema of its own in the shared
 * Postgres), `<!-- run: redis -->` (REDIS_URL), `<!-- run: service -->` (OTP_URL and OTP_API_KEY of
 * a service this test starts), `<!-- run: smtp -->` (SMTP_URL of an SMTP server this test starts).
 * Credentials a block names (TWILIO_*, OTP_WEBHOOK_SECRET) are set to well-formed placeholders;
 * nothing is sent to a provider. Blocks without the marker are fragments and are not run.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { freshSchema } from "../helpers/postgres-schema.js";
import { API_KEY, testServer } from "../helpers/server.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { startSmtpServer } from "../helpers/smtp.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const docsDir = join(root, "docs");

export type Need = "postgres" | "redis" | "service" | "smtp";
const NEEDS: readonly Need[] = ["postgres", "redis", "service", "smtp"];

export interface DocBlock {
  page: string;
  line: number;
  needs: Need[];
  source: string;
}

/** The marked blocks of one page. A marker not followed by a ```ts block is an error, not a skip. */
export function markedBlocks(page: string, text: string): DocBlock[] {
  const lines = text.split("\n");
  const blocks: DocBlock[] = [];
  lines.forEach((line, index) => {
    const marker = /^<!--\s*run(?::\s*([\w\s,]*))?\s*-->\s*$/.exec(line);
    if (!marker) return;
    if (lines[index + 1] !== "```ts") throw new Error(`${page}:${index + 1}: <!-- run --> must be followed by a \`\`\`ts block`);
    const needs = (marker[1] ?? "")
      .split(",")
      .map((need) => need.trim())
      .filter(Boolean);
    for (const need of needs) {
      if (!NEEDS.includes(need as Need)) throw new Error(`${page}:${index + 1}: unknown need "${need}"`);
    }
    const end = lines.indexOf("```", index + 2);
    if (end < 0) throw new Error(`${page}:${index + 1}: unterminated block`);
    blocks.push({ page, line: index + 3, needs: needs as Need[], source: lines.slice(index + 2, end).join("\n") });
  });
  return blocks;
}

/** "otp-actions" and "otp-actions/<entry>" as absolute paths of their sources, from package.json's exports. */
function entryPoints(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, { default: string }>;
  };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const source = target.default.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts");
    entries.set(subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(root, source));
  }
  return entries;
}

export function pointedAtSources(source: string, entries: Map<string, string>): string {
  return source.replace(
    /(from\s+|import\s*\(?\s*)(["'])(otp-actions(?:\/[\w/-]+)?)\2/g,
    (_whole, lead: string, quote: string, name: string) => {
      const path = entries.get(name);
      if (!path) throw new Error(`no export "${name}" in package.json`);
      return `${lead}${quote}${path}${quote}`;
    },
  );
}

const pages = readdirSync(docsDir)
  .filter((name) => name.endsWith(".md"))
  .sort();
const blocks = pages.flatMap((page) => markedBlocks(page, readFileSync(join(docsDir, page), "utf8")));
const entries = entryPoints();
const needed = new Set(blocks.flatMap((block) => block.needs));

const available = {
  postgres: needed.has("postgres") ? await requireService("postgres") : false,
  redis: needed.has("redis") ? await requireService("redis") : false,
  service: true,
  smtp: true,
};

/** Well-formed stand-ins for the credentials the examples read; no block sends anything with them. */
const PLACEHOLDERS = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "placeholder-auth-token",
  TWILIO_MESSAGING_SERVICE_SID: `MG${"0".repeat(32)}`,
  OTP_WEBHOOK_SECRET: "placeholder-webhook-secret",
};

let serviceUrl = "";
let stopService: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (!needed.has("service")) return;
  const server = await testServer({ development: false });
  serviceUrl = await server.app.listen({ host: "127.0.0.1", port: 0 });
  stopService = async () => {
    await server.app.close();
    await server.otp.close();
  };
});

afterAll(async () => {
  await stopService?.();
});

/** Runs the block; resolves with the number of mails the SMTP server took (with the smtp need). */
async function run(block: DocBlock): Promise<number> {
  const { OTP_KEYS: _keys, NODE_ENV: _env, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, ...PLACEHOLDERS, OTP_KEYS: generateKey() };
  const schema = block.needs.includes("postgres") ? await freshSchema("docs") : undefined;
  if (schema) env.DATABASE_URL = schema.url;
  if (block.needs.includes("redis")) env.REDIS_URL = REDIS_URL;
  if (block.needs.includes("service")) Object.assign(env, { OTP_URL: serviceUrl, OTP_API_KEY: API_KEY });
  const smtp = block.needs.includes("smtp") ? await startSmtpServer() : undefined;
  if (smtp) env.SMTP_URL = smtp.url;
  // Under test/ so that bare imports (express, pg, …) resolve from this package's node_modules.
  const dir = mkdtempSync(join(root, "test", ".quickstart-docs-"));
  try {
    const file = join(dir, `${block.page.replace(/\.md$/, "")}-${block.line}.mts`);
    writeFileSync(file, pointedAtSources(block.source, entries));
    mkdirSync(join(dir, "work"));
    await promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: join(dir, "work"), env, timeout: 20_000 });
    return smtp?.received.length ?? 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await schema?.drop();
    await smtp?.close();
  }
}

describe("runnable docs blocks", () => {
  it("finds the marked blocks of every page that has them", () => {
    const marked = new Set(blocks.map((block) => block.page));
    for (const page of ["adapters.md", "stores.md", "audit-log.md", "channels.md", "abuse-protection.md", "telemetry.md", "client.md"]) {
      expect(marked, page).toContain(page);
    }
  });

  for (const block of blocks) {
    const skip = block.needs.some((need) => !available[need]);
    it.skipIf(skip)(`docs/${block.page}:${block.line}${block.needs.length ? ` (${block.needs.join(", ")})` : ""} exits 0`, async () => {
      const mails = await run(block).catch((error: { code?: number; signal?: string; stdout?: string; stderr?: string }) => {
        throw new Error(
          `docs/${block.page}:${block.line} failed (exit ${error.code ?? error.signal}):\n${error.stderr ?? ""}\n${error.stdout ?? ""}`,
        );
      });
      // A block that starts a verification over SMTP has delivered its code by the time it exits.
      if (block.needs.includes("smtp") && block.source.includes(".start(")) expect(mails).toBeGreaterThan(0);
    });
  }
});

describe("runnable docs blocks, type-checked", () => {
  it("every marked block compiles under the project's strict settings", async () => {
    // tsx strips types without checking them: a wrong option name or a misspelt field would still run.
    const dir = mkdtempSync(join(root, "test", ".quickstart-docs-types-"));
    try {
      const files = blocks.map((block) => {
        const file = join(dir, `${block.page.replace(/\.md$/, "")}-${block.line}.mts`);
        writeFileSync(file, pointedAtSources(block.source, entries));
        return file;
      });
      const config = {
        extends: join(root, "tsconfig.json"),
        compilerOptions: { noEmit: true, allowImportingTsExtensions: true },
        include: [],
        files,
      };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
      const result = await promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { cwd: root }).then(
        () => "",
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(result.replaceAll(`${relative(root, dir)}/`, "")).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the marker", () => {
  it("names its needs, and a marker without a ts block after it is an error", () => {
    const page = "intro\n<!-- run: postgres, redis -->\n```ts\nconst a = 1;\n```\n\n```ts\nfragment\n```\n";
    expect(markedBlocks("x.md", page)).toEqual([{ page: "x.md", line: 4, needs: ["postgres", "redis"], source: "const a = 1;" }]);
    expect(() => markedBlocks("x.md", "<!-- run -->\n```sh\nls\n```\n")).toThrow(/followed by/);
    expect(() => markedBlocks("x.md", "<!-- run: mysql -->\n```ts\n\n```\n")).toThrow(/unknown need/);
  });

  it("points otp-actions imports at the sources, and refuses an entry point the package does not export", () => {
    const source = 'import { createOtp } from "otp-actions";\nimport { x } from "otp-actions/stores/sqlite";';
    expect(pointedAtSources(source, entries)).toBe(
      `import { createOtp } from "${join(root, "src/index.ts")}";\nimport { x } from "${join(root, "src/stores/sqlite.ts")}";`,
    );
    expect(() => pointedAtSources('import "otp-actions/nope";', entries)).toThrow(/no export/);
  });
});
