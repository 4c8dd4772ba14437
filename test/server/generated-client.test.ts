/**
 * A client generated from the live /openapi.json, as a user of the service would make one:
 * openapi-typescript writes the types, a small openapi-fetch program is typechecked against them
 * (it names the schemas and relies on the error_code enum, so loose `unknown` types would fail),
 * then runs against the service: start, a wrong code answered with a typed error, the right code.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, testServer, type TestServer } from "../helpers/server.js";

const ROOT = join(import.meta.dirname, "../..");

const PROGRAM = `
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Verification = components["schemas"]["Verification"];
type Approved = components["schemas"]["Approved"];
type ErrorCode = components["schemas"]["Error"]["error_code"];

// @ts-expect-error: not one of the registry's codes
const notACode: ErrorCode = "NO_SUCH_CODE";
void notACode;

const [baseUrl, apiKey] = process.argv.slice(2) as [string, string];
const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${apiKey}\` } });

async function main(): Promise<void> {
  // @ts-expect-error: a misspelt field is refused by the types as by the service
  await client.POST("/v1/verifications", { body: { identifer: "x@example.com", purpose: "login" } });

  const started = await client.POST("/v1/verifications", { body: { identifier: "client@example.com", purpose: "login" } });
  if (!started.data) throw new Error("start failed");
  const verification: Verification = started.data;

  const outbox = (await (await fetch(\`\${baseUrl}/dev/outbox\`, { headers: { accept: "application/json" } })).json()) as {
    messages: Array<{ to: string; code: string }>;
  };
  const code = outbox.messages.find((message) => message.to === "client@example.com")!.code;
  const wrongCode = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");

  const refused = await client.POST("/v1/verifications/check", { body: { context: verification.context, code: wrongCode, purpose: "login" } });
  if (!refused.error) throw new Error("a wrong code was accepted");
  const errorCode: ErrorCode = refused.error.error_code;
  const next = refused.error.context ?? verification.context;

  const checked = await client.POST("/v1/verifications/check", { body: { context: next, code, purpose: "login" } });
  if (!checked.data) throw new Error(\`check failed: \${checked.error?.error_code}\`);
  const approved: Approved = checked.data;
  const status: "approved" = approved.status;
  console.log(JSON.stringify({ started: verification.status, errorCode, status: refused.response.status, approved: status, identifier: approved.identifier }));
}
await main();
`;

let server: TestServer;
let url: string;
let dir: string;
beforeAll(async () => {
  server = await testServer();
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  // Under node_modules so the program finds openapi-fetch as an installed package would.
  dir = mkdtempSync(join(ROOT, "node_modules", ".generated-client-"));
});
afterAll(async () => {
  await server?.app.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function typecheck(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules/@types")],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => `${diagnostic.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`);
}

describe("a client generated from /openapi.json", () => {
  it("has named types, typechecks, and verifies a code against the live service", async () => {
    const response = await fetch(`${url}/openapi.json`);
    const schema = astToString(await openapiTS(await response.text()));
    expect(schema).toMatch(/Verification: \{/);
    expect(schema).toMatch(/error_code: "MISSING_FIELDS" \| "INVALID_REQUEST"/);
    writeFileSync(join(dir, "schema.ts"), schema);
    writeFileSync(join(dir, "program.ts"), PROGRAM);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));

    expect(typecheck([join(dir, "program.ts")])).toEqual([]);

    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(dir, "program.ts"), url, API_KEY], {
      cwd: ROOT,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      started: "pending",
      errorCode: "INVALID_OTP",
      status: 400,
      approved: "approved",
      identifier: "client@example.com",
    });
  }, 60_000);
});
