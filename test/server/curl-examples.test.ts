/**
 * Runs the service page's curl examples (docs/service.md) against a live server, so they stay true. The examples are
 * the ```sh blocks between the curl-examples markers; they run in order in one bash, with
 * OTP_URL and OTP_API_KEY set for the live server.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";

const START = "<!-- curl-examples:start -->";
const END = "<!-- curl-examples:end -->";
const SERVICE_PAGE = resolve("docs/service.md");

export const EXAMPLES_SOURCE = SERVICE_PAGE;

export function shellExamples(markdown: string): string[] {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start === -1 || end < start) throw new Error(`no ${START} … ${END} section`);
  const section = markdown.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

function bash(script: string, env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn("bash", ["-c", script], { env: { ...process.env, ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describe(`curl examples in ${EXAMPLES_SOURCE.replace(`${resolve(".")}/`, "")}`, () => {
  const apiKey = "curl-examples-api-key-123456";
  let service: RunningService;

  beforeAll(async () => {
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("c1"), OTP_API_KEYS: apiKey });
    service = await startService(config, { say: () => {}, logger: false });
  });
  afterAll(() => service?.stop());

  it("run against a live server and print what the docs say", async () => {
    const blocks = shellExamples(readFileSync(EXAMPLES_SOURCE, "utf8"));
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const script = ["set -euo pipefail", ...blocks].join("\n");
    const cwd = mkdtempSync(join(tmpdir(), "otp-curl-"));
    const result = await bash(script, { OTP_URL: service.url, OTP_API_KEY: apiKey }, cwd);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    // Each expected answer the docs show as a comment appears in the output, in order.
    const expected = [...blocks.join("\n").matchAll(/^# (\{.*\})$/gm)].map((match) => match[1]!);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const compact = result.stdout.replace(/\s+/g, "");
    let from = 0;
    for (const line of expected) {
      // "…" stands for a value that changes from run to run; "sqlite" for the store in use.
      const pattern = new RegExp(
        line
          .replace(/\s+/g, "")
          .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
          .replaceAll("…", '[^"]*')
          .replace('"sqlite"', '"[a-z]+"'),
      );
      const match = pattern.exec(compact.slice(from));
      expect(match, `expected output ${line}`).not.toBeNull();
      from += match!.index + match![0].length;
    }
  });
});
