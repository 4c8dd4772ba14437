#!/usr/bin/env node
/**
 * otp-actions serve | keygen | migrate. Configuration comes from environment variables (see
 * docs/service.md); each command has --help.
 */
import { auditLogFor } from "./server/companions.js";
import { parseArgs } from "node:util";
import { generateKey } from "./core/keyring.js";
import { ConfigError, loadConfig } from "./server/config.js";
import { generateApiKey } from "./server/dev-secrets.js";
import { DEFAULT_STORE, describeStore, parseStoreSpec, storeFromConfig } from "./server/store-from-config.js";
import { VERSION } from "./server/version.js";

const USAGE = `otp-actions ${VERSION}: one-time codes as a library and a service

Usage: otp-actions <command> [options]

Commands:
  serve     Start the HTTP service (configured by environment variables)
  keygen    Print a new key for OTP_KEYS, or with --api-key one for OTP_API_KEYS
  migrate   Create the tables or scripts the configured OTP_STORE needs

Run 'otp-actions <command> --help' for a command's options.
`;

const HELP: Record<string, string> = {
  serve: `Usage: otp-actions serve

Starts the service. Configuration (environment variables):
  NODE_ENV                  production refuses to start without OTP_KEYS and OTP_API_KEYS,
                            refuses the memory store and never serves /dev/outbox or the demo page
  OTP_KEYS                  kid:secret[,kid:secret…]; the first seals (development: generated in ./data)
  OTP_API_KEYS              comma-separated bearer keys, each with its scopes after a space:
                            'KEY verify audit metrics' or 'KEY admin'; none: verify only
                            (development: generated with admin and printed)
  OTP_STORE                 ${DEFAULT_STORE} (default) | memory | redis://… | postgres://…
  PORT, HOST                default 3000, 127.0.0.1 (0.0.0.0 in production; development
                            listens on loopback only unless OTP_DEV_PUBLIC=true)
  OTP_CODE_LENGTH           digits per code (6)
  OTP_CODE_TTL_SECONDS      how long a code works (300)
  OTP_SESSION_TTL_SECONDS   how long a context and its resends live (900)
  OTP_MAX_ATTEMPTS          checks per verification (3)
  OTP_MAX_SENDS_PER_SESSION codes per session, first + resends (5)
  OTP_TRUST_PROXY           false | true | hop count | proxy IPs/CIDRs: when to believe X-Forwarded-For
  OTP_BODY_LIMIT_BYTES      larger request bodies get 413 (32768)
  OTP_DATA_DIR              where development keys are kept (./data)
  LOG_LEVEL                 info (fatal, error, warn, info, debug, trace, silent)
  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_*
                            traces over OTLP when set (see docs/service.md#opentelemetry)

SIGTERM or SIGINT: stop accepting, finish in-flight requests, flush, close the store.
`,
  keygen: `Usage: otp-actions keygen [--kid <id>] [--api-key]

Prints a new key in the form OTP_KEYS takes (kid:32-bytes-base64url). To rotate, put the new key
first and keep the old one after it until its contexts have expired (OTP_SESSION_TTL_SECONDS).

Options:
  --kid <id>   key id, 1-16 characters [A-Za-z0-9_-] (default: random)
  --api-key    print a random API key for OTP_API_KEYS instead
`,
  migrate: `Usage: otp-actions migrate

Creates the tables or scripts the store named by OTP_STORE needs (default ${DEFAULT_STORE}).
Idempotent: safe to run on every deploy. The memory store needs nothing.
`,
};

function fail(message: string): never {
  // The library's own errors already start with the prefix.
  process.stderr.write(`otp-actions: ${message.replace(/^otp-actions: /, "")}\n`);
  process.exit(1);
}

async function serve(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
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

async function migrate(): Promise<void> {
  let spec: ReturnType<typeof parseStoreSpec>;
  try {
    spec = parseStoreSpec(process.env.OTP_STORE?.trim() || DEFAULT_STORE);
  } catch (error) {
    fail(`OTP_STORE: ${(error as Error).message}`);
  }
  const store = await storeFromConfig(spec);
  const audit = await auditLogFor(spec, store);
  try {
    if (store.migrate) await store.migrate();
    if (audit.migrate) await audit.migrate();
    process.stdout.write(
      store.migrate ? `migrated ${describeStore(spec)} (ledger and audit log)\n` : `${describeStore(spec)} needs no migration\n`,
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
      if (rest.length > 0) fail(`serve takes no arguments (configure it with environment variables)\n\n${help}`);
      await serve();
    } else if (command === "keygen") keygen(rest);
    else if (command === "migrate") await migrate();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

void main(process.argv.slice(2));
