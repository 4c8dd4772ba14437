import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Every package a module and the modules it imports (type-only imports excluded) load at run time. */
function runtimePackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else packages.add(specifier);
    }
  };
  visit(resolve(SRC, entry));
  return packages;
}

describe("optional dependencies stay optional", () => {
  it("the main entry loads neither nodemailer, pino nor @opentelemetry/api", () => {
    const packages = [...runtimePackages("index.ts")];
    expect(packages.filter((name) => /^(nodemailer|pino|@opentelemetry\/)/.test(name))).toEqual([]);
  });

  it("the client loads no package, not even a Node built-in: fetch is all it needs", () => {
    expect([...runtimePackages("client/index.ts")]).toEqual([]);
  });

  it("the SMTP and tracing subpaths load them", () => {
    expect(runtimePackages("channels/smtp.ts").has("nodemailer")).toBe(true);
    expect(runtimePackages("telemetry/tracing.ts").has("@opentelemetry/api")).toBe(true);
  });
});
