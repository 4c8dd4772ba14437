import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generateKey } from "../src/core/keyring.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("README", () => {
  it("the library quick start runs as written against the built package, with OTP_KEYS from the environment", async () => {
    const { stdout } = await runQuickstart({ ...withoutKeys(), OTP_KEYS: generateKey() });
    expect(stdout).toContain("identifier: 'user@example.com'");
    expect(stdout).toContain("metadata: { userId: 7 }");
    expect(stdout).toContain("attempts: 1");
    expect(stdout.trim().split("\n").at(-1)).toBe("ALREADY_USED");
  });

  it("the quick start has no key of its own: without OTP_KEYS it stops and names otp-actions keygen", async () => {
    const failed = await runQuickstart(withoutKeys()).then(
      () => undefined,
      (error: { stderr: string }) => error,
    );
    expect(failed?.stderr).toMatch(/`keys` is required.*otp-actions keygen/);
  });
});

/** The README's quick start, run as a file of its own. */
async function runQuickstart(env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /<!-- quickstart:start -->\s*```ts\n([\s\S]*?)```\s*<!-- quickstart:end -->/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  // Inside the package folder, "otp-actions" resolves to this package through its own exports.
  const dir = mkdtempSync(join(root, "test", ".quickstart-"));
  try {
    const file = join(dir, "quickstart.mts");
    writeFileSync(file, block!);
    return await promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: root, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withoutKeys(): NodeJS.ProcessEnv {
  const { OTP_KEYS: _keys, NODE_ENV: _env, ...env } = process.env;
  return env;
}
