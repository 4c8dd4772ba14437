/**
 * The API reference (`npm run docs`, typedoc over package.json's entry points) builds without a
 * warning: every public export, its members and options are documented, and every type they
 * name is exported. Slow (the whole program is read), so it runs once, without writing HTML.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TYPEDOC = fileURLToPath(new URL("../../node_modules/.bin/typedoc", import.meta.url));

describe("API reference (typedoc)", () => {
  it("documents every public export, with warnings as errors", async () => {
    const run = await promisify(execFile)(TYPEDOC, ["--emit", "none", "--treatWarningsAsErrors"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout}${error.stderr}` }),
    );
    expect(run.output).not.toMatch(/\[(warning|error)\]/);
    expect(run.code, run.output).toBe(0);
  }, 180_000);
});
