/**
 * docs/cli.md against the command itself: each command's usage line, as its --help prints it, is
 * on the page, and the page names no command the CLI does not have.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const page = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

async function help(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", cli, ...args, "--help"]);
  return stdout;
}

describe("docs/cli.md", () => {
  it("shows each command's usage line as --help prints it", async () => {
    const commands = [...(await help()).matchAll(/^ {2}(\w+) {2,}/gm)].map(([, name]) => name!);
    expect(commands).toEqual(["serve", "keygen", "migrate"]);
    for (const command of commands) {
      const usage = (await help(command)).split("\n")[0]!;
      expect(usage).toMatch(new RegExp(`^Usage: otp-actions ${command}`));
      expect(page).toContain(usage);
    }
    const documented = [...page.matchAll(/^## `otp-actions (\w+)`$/gm)].map(([, name]) => name);
    expect(documented).toEqual(commands);
  }, 60_000);
});
