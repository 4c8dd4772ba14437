/**
 * examples/python against the service: the packed package installed from its tarball with the
 * service's dependencies, `npm run serve` in development mode (memory store), then verify.py
 * (standard library only) run as its README says, from the example's directory.
 */
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installExample, requireRegistry, startExample, type InstalledExample, type RunningExample } from "../helpers/example-apps.js";
import { cleanEnv } from "../helpers/packed-package.js";
import { IN_CI } from "../helpers/services.js";

const run = promisify(execFile);
const SETUP_TIMEOUT_MS = 600_000;

function requirePython(): boolean {
  if (spawnSync("python3", ["--version"]).status === 0) return true;
  if (IN_CI) throw new Error("python3 is not installed: under CI=true this fails instead of skipping");
  console.warn("skipping the Python example: python3 is not installed");
  return false;
}

const available = (await requireRegistry()) && requirePython();

describe.skipIf(!available)("examples/python: the service from Python's standard library", () => {
  let example: InstalledExample | undefined;
  let service: RunningExample | undefined;

  beforeAll(async () => {
    example = await installExample("python");
    service = await startExample(example.dir, ["run", "serve"], { OTP_STORE: "memory" });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await service?.stop();
    example?.remove();
  }, 60_000);

  function verifyPy(env: NodeJS.ProcessEnv, args: string[] = []) {
    return run("python3", [join(example!.dir, "verify.py"), ...args], {
      cwd: example!.dir,
      env: { ...cleanEnv(), OTP_URL: service!.baseUrl, ...env },
    });
  }

  it("starts, reads the code from the outbox, sees a wrong code refused, is approved once and refused on replay", async () => {
    const { stdout, stderr } = await verifyPy({}, ["Someone@Example.com"]);
    expect(stderr).toBe("");
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^started verification \S+ by email, code valid until /);
    expect(JSON.parse(lines[1]!.replace(/^wrong code refused: /, ""))).toEqual({
      error: expect.any(String),
      error_code: "INVALID_OTP",
      attempts_remaining: 2,
    });
    expect(lines.slice(2)).toEqual(["approved: someone@example.com (login)", "replay refused: ALREADY_USED"]);
  });

  it("exits non-zero, saying what it got, on an unexpected answer (a key the service refuses)", async () => {
    const failed = await verifyPy({ OTP_API_KEY: "not-a-key-of-this-service" }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^unexpected answer: starting a verification: expected 201, got 401: .*"error_code": "UNAUTHORIZED"/);
  });

  it("exits non-zero when the service cannot be reached", async () => {
    const failed = await verifyPy({ OTP_URL: "http://127.0.0.1:9" }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("could not reach http://127.0.0.1:9");
  });
});
