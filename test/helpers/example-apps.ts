/**
 * The apps in examples/ as a user runs them: a temporary copy of one, the packed package installed
 * into it from its tarball with the rest from the registry, then its own npm scripts (build, start)
 * in a process group of its own that the test stops as a whole.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { closedPort } from "./network.js";
import { IN_CI } from "./services.js";
import { cleanEnv, npm, npx, packedPackage, ROOT } from "./packed-package.js";

/** A copy of one example with its dependencies installed. */
export interface InstalledExample {
  dir: string;
  /** A fresh key from the installed package's `otp-actions keygen`. */
  keygen(): Promise<string>;
  /** Deletes the copy. */
  remove(): void;
}

/** The copy of `examples/<name>` with the packed tarball and the example's dependencies installed. */
export async function installExample(name: string): Promise<InstalledExample> {
  const dir = mkdtempSync(join(tmpdir(), `otp-actions-example-${name}-`));
  cpSync(join(ROOT, "examples", name), dir, {
    recursive: true,
    filter: (path) => !/[/\\](node_modules|dist|\.next|package-lock\.json|next-env\.d\.ts)$/.test(path),
  });
  const { tarball } = await packedPackage();
  // The tarball takes the place of the registry's otp-actions; everything else comes from the registry.
  await npm(dir, ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline"]);
  return {
    dir,
    keygen: async () => (await npx(dir, ["otp-actions", "keygen"])).stdout.trim(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A running example. */
export interface RunningExample {
  baseUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Stops its process group and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Runs `npm <args>` in `dir` with PORT set to a free port, and resolves once that port accepts
 * connections. Its process group is stopped on failure.
 */
export async function startExample(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { port?: number; timeoutMs?: number } = {},
): Promise<RunningExample> {
  const port = options.port ?? (await closedPort());
  const child = spawn("npm", args, {
    cwd: dir,
    env: { ...cleanEnv(), PORT: String(port), ...env },
    // Its own process group: npm, the shell it runs the script in and the server stop together.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const running: RunningExample = { baseUrl: `http://127.0.0.1:${port}`, output: () => output, stop: () => stopGroup(child) };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await running.stop();
      throw new Error(`npm ${args.join(" ")} did not start listening on ${port} (exit ${child.exitCode}):\n${output.slice(-4000)}`);
    }
    await sleep(250);
  }
  return running;
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    return; // already gone
  }
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
    await exited;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Resolves true when the npm registry answers. When it does not: throws under CI, otherwise warns
 * and resolves false so the caller can skip.
 */
export async function requireRegistry(): Promise<boolean> {
  try {
    await npm(ROOT, ["ping"]);
    return true;
  } catch (error) {
    const message = `the npm registry is not reachable (${(error as Error).message.split("\n")[0]})`;
    if (IN_CI) throw new Error(`${message}: under CI=true this fails instead of skipping`);
    console.warn(`skipping the examples: ${message}`);
    return false;
  }
}

/** The code the console channel printed for `email`, waiting for it to appear in `output`. */
export async function printedCode(running: RunningExample, email: string, timeoutMs = 10_000): Promise<string> {
  const line = new RegExp(`code for ${email.replace(/[.+]/g, "\\$&")}: (\\d+)`, "g");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const codes = [...running.output().matchAll(line)].map((match) => match[1]!);
    if (codes.length > 0) return codes.at(-1)!;
    if (Date.now() > deadline) throw new Error(`no code printed for ${email}:\n${running.output().slice(-2000)}`);
    await sleep(100);
  }
}
