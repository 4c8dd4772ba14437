/**
 * The package as a user gets it, packed once: a clean copy of the sources (no dist/, as a git
 * checkout has) goes through `npm pack`, whose prepack builds dist/. The tarball is kept in a
 * directory named after a hash of those sources, so every test file of a run (each in its own
 * process) and every later run over the same sources reuses it; a lock directory lets one process
 * pack while the others wait.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);

/** What a checkout holds that the pack needs: the build's inputs and the files the package ships. */
const SOURCES = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "README.md",
  "LICENSE",
  "CHANGELOG.md",
  "src",
];
// A pack that another process started but never finished (killed) is taken over after this.
const STALE_LOCK_MS = 600_000;

/** One packed tarball and the files npm put in it. */
export interface PackedPackage {
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Paths inside the package, as `npm pack --json` lists them. */
  files: string[];
}

/** Packs the sources once per content; later calls (from any process) get the same tarball. */
export async function packedPackage(): Promise<PackedPackage> {
  const dir = join(tmpdir(), `otp-actions-pack-${sourcesHash()}`);
  const manifest = join(dir, "packed.json");
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, "utf8")) as PackedPackage;
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      await sleep(1000);
      continue;
    }
    try {
      if (!existsSync(manifest)) writeFileSync(manifest, JSON.stringify(await pack(dir)));
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

async function pack(dir: string): Promise<PackedPackage> {
  rmSync(dir, { recursive: true, force: true });
  const source = join(dir, "source");
  for (const entry of SOURCES) cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  // tsc for prepack comes from this checkout's node_modules.
  symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");
  const out = join(dir, "out");
  mkdirSync(out);
  const { stdout } = await npm(source, ["pack", "--json", "--pack-destination", out]);
  const report = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  // Only the tarball is kept: the copy and its build are most of the size.
  rmSync(source, { recursive: true, force: true });
  return { tarball: join(out, report[0]!.filename), files: report[0]!.files.map((file) => file.path) };
}

function sourcesHash(): string {
  const hash = createHash("sha256");
  const add = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
      return;
    }
    hash.update(path.slice(ROOT.length)).update("\0").update(readFileSync(path)).update("\0");
  };
  for (const entry of SOURCES) add(join(ROOT, entry));
  return hash.digest("hex").slice(0, 16);
}

/** npm in `cwd`, with the environment of `cleanEnv()`. */
export function npm(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return run("npm", args, { cwd, env: { ...cleanEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 });
}

/** A binary the project in `cwd` installed. */
export function npx(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return run("npx", ["--no-install", ...args], { cwd, env: { ...cleanEnv(), ...env } });
}

/** No keys, no NODE_ENV, and nothing of the npm script the tests may run under (its package, its event). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (["OTP_KEYS", "NODE_ENV", "INIT_CWD", "npm_command"].includes(name) || /^npm_(package|lifecycle)_/.test(name)) continue;
    env[name] = value;
  }
  return env;
}
