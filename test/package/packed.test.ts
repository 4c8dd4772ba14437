/**
 * The package as a user gets it: packed from a clean copy of the sources (prepack builds dist/, as
 * when installing from git), installed from its tarball into an empty project with the registry's
 * dependencies only, then the README's library quick start and the CLI run there.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, npm, npx, packedPackage, ROOT as root } from "../helpers/packed-package.js";

const run = promisify(execFile);
// One pack and one install for the whole file, on a machine that may be busy.
const SETUP_TIMEOUT_MS = 300_000;
const KEY = /^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]{43}$/;

describe("the packed package", () => {
  let dir: string;
  let app: string;
  let packed: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "otp-actions-packed-"));
    const { tarball, files } = await packedPackage();
    packed = files;

    app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "packed-app", private: true, type: "module" }));
    await npm(app, ["install", tarball, "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"]);
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds dist/, README, LICENSE and CHANGELOG only: no tests, sources or source maps", () => {
    expect(packed).toEqual(
      expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/cli.js"]),
    );
    // The operator console's front end, bundled by the build.
    expect(packed).toEqual(expect.arrayContaining(["dist/console/console.js", "dist/console/console.css"]));
    expect(
      packed.filter((path) => !path.startsWith("dist/") && !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(path)),
    ).toEqual([]);
    expect(packed.filter((path) => path.endsWith(".map") || /\.test\./.test(path))).toEqual([]);
    // Every entry point the package exports is in it.
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, { types: string; default: string }>;
    };
    for (const target of Object.values(manifest.exports)) {
      expect(packed).toContain(target.default.replace(/^\.\//, ""));
      expect(packed).toContain(target.types.replace(/^\.\//, ""));
    }
  });

  it("loads its driver-free entry points without any optional peer dependency installed", async () => {
    const entries = ["otp-actions", "otp-actions/stores/memory", "otp-actions/fetch", "otp-actions/audit", "otp-actions/testing"];
    const script = `for (const entry of ${JSON.stringify(entries)}) await import(entry); console.log("loaded");`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: app, env: cleanEnv() });
    expect(stdout.trim()).toBe("loaded");
  });

  it("runs the CLI: --help and keygen", async () => {
    const help = await npx(app, ["otp-actions", "--help"]);
    expect(help.stdout).toMatch(/^otp-actions \S+: one-time codes/);
    expect(help.stdout).toContain("keygen");
    expect((await npx(app, ["otp-actions", "keygen"])).stdout.trim()).toMatch(KEY);
  });

  it("runs the README's library quick start with OTP_KEYS from otp-actions keygen", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const block = /<!-- quickstart:start -->\s*```ts\n([\s\S]*?)```\s*<!-- quickstart:end -->/.exec(readme)?.[1];
    expect(block).toBeTruthy();
    writeFileSync(join(app, "quickstart.mjs"), block!);
    const key = (await npx(app, ["otp-actions", "keygen"])).stdout.trim();
    const { stdout } = await run(process.execPath, ["quickstart.mjs"], { cwd: app, env: { ...cleanEnv(), OTP_KEYS: key } });
    expect(stdout).toContain("identifier: 'user@example.com'");
    expect(stdout).toContain("metadata: { userId: 7 }");
    expect(stdout).toContain("attempts: 1");
    expect(stdout.trim().split("\n").at(-1)).toBe("ALREADY_USED");
  });
});
