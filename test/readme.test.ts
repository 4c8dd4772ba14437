import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("README", () => {
  it("the library quick start runs as written against the built package", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const block = /<!-- quickstart:start -->\s*```ts\n([\s\S]*?)```\s*<!-- quickstart:end -->/.exec(readme)?.[1];
    expect(block).toBeTruthy();
    // Inside the package folder, "otp-actions" resolves to this package through its own exports.
    const dir = mkdtempSync(join(root, "test", ".quickstart-"));
    try {
      const file = join(dir, "quickstart.mts");
      writeFileSync(file, block!);
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: root, env: withoutKeys() });
      expect(stdout).toContain("identifier: 'user@example.com'");
      expect(stdout).toContain("metadata: { userId: 7 }");
      expect(stdout).toContain("attempts: 1");
      expect(stdout.trim().split("\n").at(-1)).toBe("ALREADY_USED");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function withoutKeys(): NodeJS.ProcessEnv {
  const { OTP_KEYS: _keys, ...env } = process.env;
  return env;
}
