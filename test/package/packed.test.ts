/**
 * The package as a user gets it: packed from a clean copy of the sources (prepack builds dist/, as
 * when installing from git), installed from its tarball into an empty project with the registry's
 * dependencies only, then the README's library quick start and the CLI run there.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);
// One pack and one install for the whole file, on a machine that may be busy.
const SETUP_TIMEOUT_MS = 300_000;
const KEY = /^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]{43}$/;

interface PackedFile {
  path: string;
}

describe("the packed package", () => {
  let dir: string;
  let app: string;
  let packed: PackedFile[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "otp-actions-packed-"));
    // A copy without dist/: what a git checkout has. Its node_modules (for tsc) is this one's.
    const source = join(dir, "source");
    for (const entry of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "src",
    ])
      cpSync(join(root, entry), join(source, entry), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(source, "node_modules"), "dir");
    const out = join(dir, "out");
    mkdirSync(out);
    const { stdout } = await npm(source, ["pack", "--json", "--pack-destination", out]);
    const report = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: PackedFile[] }>;
    packed = report[0]!.files;
    const tarball = join(out, report[0]!.filename);

    app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "packed-app", private: true, type: "module" }));
    await npm(app, ["install", tarball, "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"]);
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds dist/, README, LICENSE and CHANGELOG only: no tests, sources or source maps", () => {
    const paths = packed.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/cli.js"]));
    // The operator console's front end, bundled by the build.
    expect(paths).toEqual(expect.arrayContaining(["dist/console/console.js", "dist/console/console.css"]));
    expect(
      paths.filter((path) => !path.startsWith("dist/") && !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(path)),
    ).toEqual([]);
    expect(paths.filter((path) => path.endsWith(".map") || /\.test\./.test(path))).toEqual([]);
    // Every entry point the package exports is in it.
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, { types: string; default: string }>;
    };
    for (const target of Object.values(manifest.exports)) {
      expect(paths).toContain(target.default.replace(/^\.\//, ""));
      expect(paths).toContain(target.types.replace(/^\.\//, ""));
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

function npm(cwd: string, args: string[]) {
  return run("npm", args, { cwd, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 });
}

function npx(cwd: string, args: string[]) {
  return run("npx", ["--no-install", ...args], { cwd, env: cleanEnv() });
}

/** No keys, no NODE_ENV, and nothing of the npm script the tests may run under (its package, its event). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (["OTP_KEYS", "NODE_ENV", "INIT_CWD", "npm_command"].includes(name) || /^npm_(package|lifecycle)_/.test(name)) continue;
    env[name] = value;
  }
  return env;
}
