import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/**
 * Who may import whom, by folder under src/ (a file at the top, such as cli.ts, is a layer of its
 * own). The layers: core ← contracts ← engine ← adapters ← server ← cli. Stores, guard, channels,
 * audit and telemetry plug into the engine through the contracts: they depend on contracts and
 * core (and drivers, the database helpers they share), never on the engine, the adapters, the
 * server or one another.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  contracts: ["core"],
  drivers: ["core"],
  stores: ["contracts", "core", "drivers"],
  guard: ["contracts", "core", "drivers"],
  channels: ["contracts", "core"],
  audit: ["contracts", "core", "drivers"],
  telemetry: ["contracts", "core"],
  engine: ["contracts", "core"],
  adapters: ["engine", "contracts", "core"],
  server: ["adapters", "engine", "contracts", "core", "drivers", "stores", "guard", "channels", "audit", "telemetry"],
  client: [],
  // The console's front end runs in the browser and talks to the service over HTTP only.
  console: [],
  cli: ["server", "adapters", "engine", "contracts", "core", "drivers", "stores", "guard", "channels", "audit", "telemetry"],
  testing: [],
  index: [],
};

interface Exception {
  /** A file, or a folder ending in "/", under src/. */
  from: string;
  /** A file, or a folder ending in "/"; "" for anything. */
  to: string;
  /** Only `import type` / `export type` may cross. */
  typeOnly?: boolean;
  reason: string;
}

/** Arrows the layers alone would refuse, each legitimate for the reason given. */
const EXCEPTIONS: readonly Exception[] = [
  { from: "index.ts", to: "", reason: "the public entry re-exports each layer's public names" },
  { from: "testing/", to: "", reason: "conformance suites and test doubles drive every layer from the outside, as a user's tests do" },
  { from: "engine/create-otp.ts", to: "stores/memory.ts", reason: "the default ledger when createOtp is given no store" },
  { from: "engine/create-otp.ts", to: "guard/index.ts", reason: "the default guard (createGuard) when createOtp is given none" },
  { from: "engine/create-otp.ts", to: "guard/counters/for-store.ts", reason: "the default guard counts on the ledger store's own backend" },
  { from: "engine/", to: "guard/options.ts", typeOnly: true, reason: "OtpOptions.guard takes the guard's own options" },
  {
    from: "guard/counters/",
    to: "stores/redis.ts",
    typeOnly: true,
    reason: "Redis counters run the Redis ledger's check inside their own script (RedisStore.evalWithEntry)",
  },
  {
    from: "guard/counters/redis.ts",
    to: "stores/redis-ledger-lua.ts",
    reason: "the ledger's Lua functions, loaded into the counters' script so a guarded check is one round trip",
  },
  {
    from: "audit/recorder.ts",
    to: "telemetry/wrap.ts",
    reason: "the recorder times operations with the same wrapper metrics and tracing use",
  },
  {
    from: "audit/index.ts",
    to: "telemetry/metrics.ts",
    reason: "otp-actions/audit re-exports auditMetrics, the audit log's Prometheus gauges",
  },
  {
    from: "audit/recorder.ts",
    to: "engine/types.ts",
    typeOnly: true,
    reason: "the recorder observes a built Otp through its public interface",
  },
  {
    from: "audit/search-filter.ts",
    to: "engine/types.ts",
    typeOnly: true,
    reason: "a person's filter normalises and hashes the identifier as the built Otp does (normalizeIdentifier, keyring)",
  },
  {
    from: "client/",
    to: "core/errors.ts",
    typeOnly: true,
    reason: "the client's errors carry the registry's codes, as a type only: nothing of the server loads in a browser",
  },
  {
    from: "client/",
    to: "audit/audit-log.ts",
    typeOnly: true,
    reason: "the audit routes' action names, as a type only",
  },
  {
    from: "client/",
    to: "audit/stats.ts",
    typeOnly: true,
    reason: "the audit stats route's answer, as a type only",
  },
  {
    from: "console/types.ts",
    to: "client/types.ts",
    typeOnly: true,
    reason: "the console reads the API's documented answers, typed as the HTTP client types them; nothing of it loads in the bundle",
  },
  {
    from: "client/totp-types.ts",
    to: "engine/totp/types.ts",
    typeOnly: true,
    reason: "the TOTP routes answer the engine's results as they are, as a type only",
  },
  {
    from: "telemetry/",
    to: "engine/types.ts",
    typeOnly: true,
    reason: "metrics and tracing wrap a built Otp (wrap.ts) through its public interface",
  },
];

interface Arrow {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every relative import of every file under src/: static, re-exports, side effects and dynamic. */
function arrows(): Arrow[] {
  const found: Arrow[] = [];
  for (const file of sourceFiles(SRC)) {
    const source = readFileSync(file, "utf8");
    const add = (specifier: string, typeOnly: boolean): void => {
      if (!specifier.startsWith(".")) return;
      const target = resolve(
        dirname(file),
        specifier.replace(/\.js$/, existsSync(resolve(dirname(file), specifier.replace(/\.js$/, ".tsx"))) ? ".tsx" : ".ts"),
      );
      found.push({ from: relative(SRC, file), to: relative(SRC, target), typeOnly });
    };
    for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) add(match[2]!, match[1] !== undefined);
    for (const match of source.matchAll(/^import\s+"([^"]+)"/gm)) add(match[1]!, false);
    for (const match of source.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) add(match[1]!, false);
  }
  return found;
}

/** The folder under src/, or the file's own name for a file at the top. */
function layerOf(path: string): string {
  const [first, ...rest] = path.split("/");
  return rest.length === 0 ? first!.replace(/\.tsx?$/, "") : first!;
}

const covers = (pattern: string, path: string): boolean =>
  pattern === "" || (pattern.endsWith("/") ? path.startsWith(pattern) : path === pattern);

function exceptionFor(arrow: Arrow): Exception | undefined {
  return EXCEPTIONS.find(
    (exception) => covers(exception.from, arrow.from) && covers(exception.to, arrow.to) && (!exception.typeOnly || arrow.typeOnly),
  );
}

/** A cycle among folders, as the path that closes it, or undefined. */
function folderCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return undefined;
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(node);
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("dependencies point one way", () => {
  const all = arrows();

  it("finds the imports it checks", () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all).toContainEqual({ from: "engine/verify.ts", to: "contracts/ledger.ts", typeOnly: true });
  });

  it("every folder is a known layer", () => {
    const unknown = [...new Set(all.flatMap((arrow) => [layerOf(arrow.from), layerOf(arrow.to)]))].filter(
      (layer) => !(layer in MAY_IMPORT),
    );
    expect(unknown).toEqual([]);
  });

  it("no import crosses the layers but those allowed or listed", () => {
    const refused = all
      .filter((arrow) => {
        const from = layerOf(arrow.from);
        const to = layerOf(arrow.to);
        return from !== to && !MAY_IMPORT[from]?.includes(to) && exceptionFor(arrow) === undefined;
      })
      .map((arrow) => `${arrow.from} → ${arrow.to}${arrow.typeOnly ? " (type)" : ""}`);
    expect(refused).toEqual([]);
  });

  it("every listed exception is still needed", () => {
    const unused = EXCEPTIONS.filter(
      (exception) => !all.some((arrow) => layerOf(arrow.from) !== layerOf(arrow.to) && exceptionFor(arrow) === exception),
    );
    expect(unused.map((exception) => `${exception.from} → ${exception.to}`)).toEqual([]);
  });

  it("no folders import each other in a cycle", () => {
    const edges = new Map<string, Set<string>>();
    for (const arrow of all) {
      const from = layerOf(arrow.from);
      const to = layerOf(arrow.to);
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
    expect(folderCycle(edges)?.join(" → ")).toBeUndefined();
  });
});
