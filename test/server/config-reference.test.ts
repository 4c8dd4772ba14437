/**
 * The schema and the variable table are the configuration's one description: the reference page
 * is generated from them and must be current, `serve --help` prints every variable, each variable
 * lands on a setting the schema has, and the guard's bounds in the schema are the guard's own.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLE, REFERENCE_PATH, configurationReference } from "../../scripts/config-reference.js";
import { generateKey } from "../../src/core/keyring.js";
import { createGuard } from "../../src/guard/index.js";
import { loadConfig } from "../../src/server/config.js";
import { CONFIG_SCHEMA, schemaAt, type SchemaNode } from "../../src/server/config-schema.js";
import { MAPPED_VARIABLES, VARIABLES } from "../../src/server/variables.js";

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the configuration reference", () => {
  it("docs/configuration.md is what `npm run docs:config` generates", () => {
    // On failure: run `npm run docs:config` and commit the page.
    expect(readFileSync(REFERENCE_PATH, "utf8")).toBe(configurationReference());
  });

  it("serve --help lists every variable of the table", async () => {
    const { code, stdout } = await cli(["serve", "--help"]);
    expect(code).toBe(0);
    for (const variable of VARIABLES) {
      expect(stdout).toMatch(new RegExp(`^  ${variable.name} +${variable.help.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    }
  });

  it("each variable lands on a setting of the schema, and no two on the same", () => {
    for (const variable of MAPPED_VARIABLES) expect(schemaAt(variable.path).node, variable.name).toBeDefined();
    const paths = MAPPED_VARIABLES.map((variable) => variable.path.join("."));
    expect(new Set(paths).size).toBe(paths.length);
    expect(new Set(VARIABLES.map((variable) => variable.name)).size).toBe(VARIABLES.length);
  });

  it("the page's example is a valid configuration", () => {
    const path = join(mkdtempSync(join(tmpdir(), "otp-example-")), "otp-actions.yaml");
    writeFileSync(path, EXAMPLE);
    const config = loadConfig(
      { NODE_ENV: "production", OTP_KEYS: generateKey("ex"), OTP_API_KEYS: "an-example-api-key-0123", OTP_TWILIO_AUTH_TOKEN: "token" },
      { configFile: path },
    );
    expect(config.purposes.payment).toEqual({ maxAttempts: 1, codeTtlSeconds: 120 });
    expect(config.channels.twilio).toMatchObject({ from: "+14155550100", authToken: "token" });
  });
});

/** Every integer setting under `guard`, as a path and its node. */
function integers(node: SchemaNode, path: string[]): Array<[string[], SchemaNode]> {
  if (node.type === "integer") return [[path, node]];
  const branch = (node.else as SchemaNode | undefined) ?? node;
  const properties = (branch.properties ?? {}) as Record<string, SchemaNode>;
  return Object.entries(properties).flatMap(([key, child]) => integers(child, [...path, key]));
}

/** The guard's options with `value` at `path`, and whatever else that one value needs to be valid alone. */
function guardOptions(path: string[], value: number): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  let node = options;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
  const [top] = path;
  if (top === "sendsPerIdentifier" || top === "sendsPerIp" || top === "failuresPerIp") {
    const window = options[top] as Record<string, number>;
    window.max ??= 1;
    window.windowSeconds ??= 1;
  }
  if (path.join(".") === "lockout.baseSeconds") (options.lockout as Record<string, number>).maxSeconds = 604_800;
  if (path.join(".") === "lockout.maxSeconds") (options.lockout as Record<string, number>).baseSeconds = 1;
  if (top === "failuresPerIdentifierAndIp") options.failuresPerIdentifier = 100;
  return options;
}

describe("the guard's bounds in the schema", () => {
  const guard = (CONFIG_SCHEMA.properties as Record<string, SchemaNode>).guard!;
  const found = integers(guard, []);

  it("cover the guard's integer settings", () => {
    expect(found.map(([path]) => path.join("."))).toEqual(
      expect.arrayContaining(["resendCooldownSeconds", "lockout.baseSeconds", "sendsPerIp.windowSeconds", "prefixVelocity.suffixDigits"]),
    );
  });

  for (const [path, node] of found) {
    const { minimum, maximum } = node as { minimum: number; maximum: number };
    it(`guard.${path.join(".")} is ${minimum}-${maximum}, as createGuard takes it`, () => {
      for (const value of [minimum, maximum]) expect(() => createGuard(guardOptions(path, value))).not.toThrow();
      for (const value of [minimum - 1, maximum + 1]) expect(() => createGuard(guardOptions(path, value))).toThrow(TypeError);
    });
  }
});
