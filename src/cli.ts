#!/usr/bin/env node
/**
 * otp-actions serve | keygen | migrate. The service's configuration comes from a file and
 * environment variables (see docs/configuration.md); each command has --help.
 */
import { auditLogFor, describeAuditLog, type AuditSpec } from "./server/companions.js";
import { migrateParts, schemaParts } from "./server/migrations.js";
import { alertRulesStoreFor } from "./server/alerts/rules-store.js";
import { parseArgs } from "node:util";
import { generateKey } from "./core/keyring.js";
import { ConfigError, loadConfig, loadStorageSpecs } from "./server/config.js";
import { generateApiKey } from "./server/dev-secrets.js";
import { DEFAULT_STORE, describeStore, storeFromConfig, type StoreSpec } from "./server/store-from-config.js";
import { VARIABLES, defaultOf, formatOf } from "./server/variables.js";
import { VERSION } from "./server/version.js";

const USAGE = `otp-actions ${VERSION}: one-time codes as a library and a service

Usage: otp-actions <command> [options]

Commands:
  serve     Start the HTTP service (configured by a file and environment variables)
  keygen    Print a new key for OTP_KEYS, or with --api-key one for OTP_API_KEYS
  migrate   Create the tables or scripts the configured store needs

Run 'otp-actions <command> --help' for a command's options.
`;

/** Every variable the service reads, from the one table of them: name, help, values, default. */
function variablesHelp(): string {
  const width = Math.max(...VARIABLES.map((variable) => variable.name.length)) + 2;
  return VARIABLES.map(
    (variable) =>
      `  ${variable.name.padEnd(width)}${variable.help}\n  ${" ".repeat(width)}${formatOf(variable)}; default ${defaultOf(variable)}${variable.path ? `; file: ${variable.path.join(".")}` : ""}`,
  ).join("\n");
}

const HELP: Record<string, string> = {
  serve: `Usage: otp-actions serve [--config <file>]

Starts the service. Settings come from a configuration file (JSON or YAML, its keys described in
docs/configuration.md) and from environment variables, which win over the file. An unknown
OTP_* variable or key stops the start.

Options:
  --config <file>   a configuration file (.json, .yaml, .yml); default: OTP_CONFIG

Environment variables:
${variablesHelp()}

SIGTERM or SIGINT: stop accepting, finish in-flight requests, flush, close the store.
`,
  keygen: `Usage: otp-actions keygen [--kid <id>] [--api-key]

Prints a new key in the form OTP_KEYS takes (kid:32-bytes-base64url). To rotate, put the new key
first and keep the old one after it until its contexts have expired (OTP_SESSION_TTL_SECONDS).

Options:
  --kid <id>   key id, 1-16 characters [A-Za-z0-9_-] (default: random)
  --api-key    print a random API key for OTP_API_KEYS instead
`,
  migrate: `Usage: otp-actions migrate [--config <file>]

Creates the tables or scripts the configured store needs (OTP_STORE, else the configuration
file's \`store\` (--config or OTP_CONFIG), else ${DEFAULT_STORE}): the ledger, the guard's
counters, and the audit log (where OTP_AUDIT_URL or the file's \`audit.url\` names, if set).
Idempotent: safe to run on every deploy. The memory store needs nothing. A production start
refuses a SQL store without its tables, unless OTP_AUTO_MIGRATE=true.
`,
};

function fail(message: string): never {
  // The library's own errors already start with the prefix.
  process.stderr.write(`otp-actions: ${message.replace(/^otp-actions: /, "")}\n`);
  process.exit(1);
}

async function serve(args: string[]): Promise<void> {
  let configFile: string | undefined;
  try {
    configFile = parseArgs({ args, options: { config: { type: "string" } }, strict: true, allowPositionals: false }).values.config;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP.serve}`);
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, configFile === undefined ? {} : { configFile });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  // Loaded here: keygen, migrate and --help need neither Fastify nor the engine.
  const { startService } = await import("./server/service.js");
  const service = await startService(config);
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`otp-actions: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    process.stdout.write(`otp-actions: ${signal} received, shutting down\n`);
    const force = setTimeout(() => {
      process.stderr.write("otp-actions: shutdown took longer than 10 s, exiting\n");
      process.exit(1);
    }, 10_000);
    force.unref();
    service.stop().then(
      () => {
        process.stdout.write("otp-actions: stopped\n");
        process.exit(0);
      },
      (error: unknown) => fail(`shutdown failed: ${(error as Error).message}`),
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

function keygen(args: string[]): void {
  const { values } = parseArgs({ args, options: { kid: { type: "string" }, "api-key": { type: "boolean" } }, strict: true });
  if (values["api-key"]) {
    process.stdout.write(`${generateApiKey()}\n`);
    return;
  }
  try {
    process.stdout.write(`${generateKey(values.kid)}\n`);
  } catch (error) {
    fail((error as Error).message);
  }
}

async function migrate(args: string[]): Promise<void> {
  let spec: StoreSpec;
  let auditSpec: AuditSpec | undefined;
  try {
    const { config } = parseArgs({ args, options: { config: { type: "string" } }, strict: true }).values;
    ({ store: spec, audit: auditSpec } = loadStorageSpecs(process.env, config === undefined ? {} : { configFile: config }));
  } catch (error) {
    fail((error as Error).message);
  }
  const { countersFor } = await import("./guard/counters/for-store.js");
  const store = await storeFromConfig(spec);
  const audit = await auditLogFor(spec, store, auditSpec);
  const auditWhere = describeAuditLog(spec, auditSpec) ?? "memory";
  // The guard's counters and the saved alert rules too: a production start checks for their tables as for the others.
  const parts = schemaParts({
    store,
    storeWhere: describeStore(spec),
    counters: countersFor(store),
    auditLog: audit,
    auditWhere,
    alertRules: await alertRulesStoreFor(audit, { auditWhere }),
  });
  try {
    await migrateParts(parts);
    process.stdout.write(
      parts.length > 0
        ? `migrated ${[...new Set(parts.map((part) => part.where))].join(" and ")} (${parts.map((part) => part.name).join(", ")})\n`
        : `${describeStore(spec)} needs no migration\n`,
    );
  } finally {
    await audit.close();
    await store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const help = HELP[command];
  if (!help) fail(`unknown command '${command}'\n\n${USAGE}`);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(help);
    return;
  }
  try {
    if (command === "serve") {
      await serve(rest);
    } else if (command === "keygen") keygen(rest);
    else if (command === "migrate") await migrate(rest);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

void main(process.argv.slice(2));
