/**
 * The service's configuration: a file (JSON or YAML, `serve --config` or OTP_CONFIG) with
 * environment variables laid over it, both checked against one schema (config-schema.ts). Every
 * problem is reported at start, each naming its variable or key and what is wrong; a secret's
 * value is never echoed.
 */
import { isIP } from "node:net";
import { isSupportedCountry, type CountryCode } from "libphonenumber-js";
import { isLoopbackHost } from "../channels/http-delivery.js";
import { isHostName } from "../channels/templates.js";
import { parseTrustEntry } from "../core/client-ip.js";
import { parseKeys } from "../core/keyring.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../core/limits.js";
import { DEFAULT_POLICY, PURPOSE_POLICY_KEYS, resolvePolicy, type PurposePolicy } from "../engine/options.js";
import { parseApiKeys, type ApiKey } from "./api-keys.js";
import type { TrustProxy } from "./client-info.js";
import { configDocument, variableValue, type ConfigDocument, type Problem } from "./config-document.js";
import { readConfigFile } from "./config-file.js";
import type { PolicyDocument, SettingsDocument } from "./config-settings.js";
import { parseAuditSpec, type AuditSpec } from "./companions.js";
import { DEFAULT_STORE, parseStoreSpec, type StoreSpec } from "./store-from-config.js";
import { loadAlertsConfig, type AlertsConfig } from "./alerts/alerts-config.js";
import { loadChannelConfig, loadLimitsConfig, type ChannelConfig, type LimitsConfig } from "./channel-config.js";
import { loadWebhooksConfig, type WebhooksConfig } from "./webhooks/config.js";

export interface ServiceConfig {
  production: boolean;
  /** OTP_KEYS; absent only in development, where one is generated under dataDir. */
  keys: string | undefined;
  /** OTP_API_KEYS with their scopes (api-keys.ts); absent only in development, where one is generated and printed. */
  apiKeys: ApiKey[] | undefined;
  store: StoreSpec;
  port: number;
  host: string;
  policy: PurposePolicy;
  trustProxy: TrustProxy;
  bodyLimitBytes: number;
  logLevel: string;
  dataDir: string;
  /** Production delivery channels (SMTP, Twilio, webhook). */
  channels: ChannelConfig;
  /** The guard: rate limits, lockouts, SMS allow-list. */
  limits: LimitsConfig;
  /** Audit rows older than this many days are deleted (OTP_AUDIT_RETENTION_DAYS, default 90). */
  auditRetentionDays: number;
  /** Audit rows held in memory at most, buffered and being written (OTP_AUDIT_MAX_BUFFERED, default 50,000). */
  auditMaxBuffered: number;
  /** Refuse starts and checks (503) rather than drop audit rows when that many are held (OTP_AUDIT_STRICT). */
  auditStrict: boolean;
  /** A console session unused this long ends (OTP_CONSOLE_IDLE_TIMEOUT_SECONDS, default 900). */
  consoleIdleTimeoutSeconds: number;
  /** A console session ends this long after sign-in (OTP_CONSOLE_LIFETIME_SECONDS, default 43,200). */
  consoleLifetimeSeconds: number;
  /** Per-purpose policy (`purposes.<name>` in the file), laid over `policy` by the engine. */
  purposes: Record<string, PurposePolicy>;
  /** ISO country of phone numbers given in national form (OTP_DEFAULT_COUNTRY). */
  defaultCountry: CountryCode | undefined;
  /** The configuration file read, if any. */
  configFile: string | undefined;
  /** OTP_AUDIT_URL: the audit log's own SQLite file or Postgres database, for any store. */
  auditStore: AuditSpec | undefined;
  /** OTP_AUTO_MIGRATE: a production start creates missing tables rather than refuse to start. */
  autoMigrate: boolean;
  /** Outgoing webhooks: subscriptions and the queue's bounds (`webhooks`, OTP_EVENT_WEBHOOK_*). */
  webhooks: WebhooksConfig;
  /** Alert rules on the audit log, how often they run and where changes are posted. */
  alerts: AlertsConfig;
}

export interface LoadOptions {
  /** A configuration file (`serve --config`); without it, OTP_CONFIG may name one. */
  configFile?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** `variable` names an environment variable, or a key path in the configuration file. */
  readonly problems: ReadonlyArray<Problem>;

  constructor(problems: ReadonlyArray<Problem>, configFile?: string) {
    super(
      `invalid configuration${configFile === undefined ? "" : ` (${configFile} and the environment)`}:\n${problems.map(({ variable, problem }) => `  ${variable}: ${problem}`).join("\n")}`,
    );
    this.problems = problems;
  }
}

const NODE_ENVS = new Set(["production", "development", "test"]);

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): ServiceConfig {
  const problems: Problem[] = [];
  const nodeEnv = variableValue(env, "NODE_ENV");
  // Anything else ("prod", "Production") would quietly run in development, outbox and all.
  if (nodeEnv !== undefined && !NODE_ENVS.has(nodeEnv))
    problems.push({ variable: "NODE_ENV", problem: `must be production, development or test, got '${nodeEnv.slice(0, 20)}'` });
  const production = nodeEnv === "production";

  const configFile = options.configFile ?? variableValue(env, "OTP_CONFIG");
  let file: Record<string, unknown> | undefined;
  if (configFile !== undefined) {
    const read = readConfigFile(configFile);
    if ("problem" in read) problems.push({ variable: options.configFile !== undefined ? "--config" : "OTP_CONFIG", problem: read.problem });
    else file = read.settings;
  }
  const document = configDocument(env, file, problems);
  // A value the schema refused is left out; the checks below must not report it again as missing.
  const refused = new Set(problems.map(({ variable }) => variable));
  const problem = (variable: string, message: string) => {
    if (!refused.has(variable)) problems.push({ variable, problem: message });
  };
  const settings = document.settings as SettingsDocument;
  const name = document.nameOf;
  const server = settings.server ?? {};
  const audit = settings.audit ?? {};

  const keys = Array.isArray(settings.keys) ? settings.keys.join(",") : settings.keys;
  if (keys !== undefined) {
    try {
      parseKeys(keys);
    } catch (error) {
      problem(name(["keys"]), (error as Error).message.replace(/^otp-actions: /, ""));
    }
  } else if (production) {
    problem(name(["keys"]), "is required in production; generate one with `otp-actions keygen`");
  }

  let apiKeys: ApiKey[] | undefined;
  if (settings.apiKeys !== undefined) {
    const parsed = parseApiKeys(settings.apiKeys.join(","));
    apiKeys = parsed.keys;
    for (const message of parsed.problems) problem(name(["apiKeys"]), message);
  } else if (production) {
    problem(name(["apiKeys"]), "is required in production; generate one with `otp-actions keygen --api-key`");
  }

  let store: StoreSpec = { kind: "memory" };
  try {
    store = parseStoreSpec(settings.store ?? DEFAULT_STORE);
  } catch (error) {
    problem(name(["store"]), (error as Error).message);
  }
  if (production && store.kind === "memory") {
    problem(name(["store"]), "memory is refused in production: its state is lost on restart and not shared between instances");
  }

  const port = server.port ?? 3000;
  const host = server.host ?? (production ? "0.0.0.0" : "127.0.0.1");
  if (!isListenHost(host))
    problem(name(["server", "host"]), `must be an IP address or a host name such as localhost, got '${host.slice(0, 60)}'`);
  // Development serves every code at /dev/outbox, unauthenticated: only to this machine, unless asked.
  else if (!production && !isLoopbackHost(host) && server.devPublic !== true) {
    problem(
      name(["server", "host"]),
      `is not a loopback address in development, where /dev/outbox shows every code to anyone who can connect; set NODE_ENV=production, or ${name(["server", "devPublic"])}=true to serve development on '${host.slice(0, 60)}' anyway`,
    );
  }

  const policy = policyOf(settings.policy);
  const base = checkedPolicy(document, ["policy"], DEFAULT_POLICY, policy, problem);
  const purposes: Record<string, PurposePolicy> = {};
  for (const [purpose, overrides] of Object.entries(settings.purposes ?? {})) {
    purposes[purpose] = policyOf(overrides);
    checkedPolicy(document, ["purposes", purpose], base, purposes[purpose], problem);
  }

  const defaultCountry = settings.defaultCountry;
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry))
    problem(name(["defaultCountry"]), `must be an ISO 3166 alpha-2 code such as US, got '${defaultCountry}'`);

  const trustProxy = checkTrustProxy(server.trustProxy, (message) => problem(name(["server", "trustProxy"]), message));
  const channels = loadChannelConfig(document, problem);
  const limits = loadLimitsConfig(document, problem);
  const webhooks = loadWebhooksConfig(document, settings.dataDir ?? "./data", problem);
  const alerts = loadAlertsConfig(document, problem);

  let auditStore: AuditSpec | undefined;
  if (audit.url !== undefined) {
    try {
      auditStore = parseAuditSpec(audit.url);
    } catch (error) {
      problem(name(["audit", "url"]), (error as Error).message);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems, configFile);
  return {
    production,
    keys,
    apiKeys,
    store,
    port,
    host,
    policy,
    trustProxy,
    bodyLimitBytes: server.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    logLevel: server.logLevel ?? "info",
    dataDir: settings.dataDir ?? "./data",
    channels,
    limits,
    auditRetentionDays: audit.retentionDays ?? 90,
    auditMaxBuffered: audit.maxBuffered ?? 50_000,
    auditStrict: audit.strict ?? false,
    consoleIdleTimeoutSeconds: settings.console?.idleTimeoutSeconds ?? 900,
    consoleLifetimeSeconds: settings.console?.lifetimeSeconds ?? 43_200,
    purposes,
    defaultCountry: defaultCountry as CountryCode | undefined,
    configFile,
    auditStore,
    autoMigrate: settings.autoMigrate ?? false,
    webhooks,
    alerts,
  };
}

/** The engine's policy fields of a `policy` or `purposes.<name>` section. */
function policyOf(section: PolicyDocument | undefined): PurposePolicy {
  const policy: PurposePolicy = {};
  for (const field of PURPOSE_POLICY_KEYS) {
    if (section?.[field] !== undefined) (policy as Record<string, unknown>)[field] = section[field];
  }
  return policy;
}

/** The policy laid over `base` as the engine will; the TTLs' rule is named where they were set. */
function checkedPolicy(
  document: ConfigDocument,
  where: readonly string[],
  base: typeof DEFAULT_POLICY,
  policy: PurposePolicy,
  problem: (variable: string, message: string) => void,
): typeof DEFAULT_POLICY {
  try {
    return resolvePolicy(base, policy, where.join("."));
  } catch (error) {
    const message = (error as Error).message.replace(/^otp-actions: /, "");
    if (!message.includes("sessionTtlSeconds must be at least")) {
      problem(document.nameOf(where), message);
      return base;
    }
    const codeTtl = policy.codeTtlSeconds ?? base.codeTtlMs / 1000;
    problem(
      document.nameOf([...where, "sessionTtlSeconds"]),
      `must be at least ${document.nameOf([...where, "codeTtlSeconds"])} (${codeTtl})`,
    );
    return base;
  }
}

/** An address to listen on: an IP (no brackets, as `listen` takes it) or a host name to resolve. */
function isListenHost(host: string): boolean {
  return isIP(host) !== 0 || isHostName(host);
}

/** false (default) | true | a hop count | addresses and CIDR ranges of trusted proxies. */
function checkTrustProxy(value: boolean | number | string[] | undefined, problem: (message: string) => void): TrustProxy {
  if (value === undefined || value === false || value === 0) return false;
  if (value === true || typeof value === "number") return value;
  for (const entry of value) {
    if (!parseTrustEntry(entry)) {
      problem(`'${entry.slice(0, 60)}' is not true, false, a hop count, or an IP address / CIDR range`);
      return false;
    }
  }
  return value;
}

/**
 * The store and the audit log's own place, for `otp-actions migrate`: each from its variable
 * (OTP_STORE, OTP_AUDIT_URL), else the file's setting, else the default. The rest of the
 * configuration is the service's business, not the migration's.
 */
export function loadStorageSpecs(env: Env = process.env, options: LoadOptions = {}): { store: StoreSpec; audit: AuditSpec | undefined } {
  const configFile = options.configFile ?? variableValue(env, "OTP_CONFIG");
  let file: SettingsDocument = {};
  if (configFile !== undefined) {
    const read = readConfigFile(configFile);
    if ("problem" in read)
      throw new ConfigError([{ variable: options.configFile !== undefined ? "--config" : "OTP_CONFIG", problem: read.problem }]);
    file = read.settings as SettingsDocument;
  }
  const setting = (variable: string, key: string, fromFile: unknown): { name: string; value: string | undefined } => {
    const value = variableValue(env, variable);
    if (value !== undefined) return { name: variable, value };
    return typeof fromFile === "string" ? { name: key, value: fromFile } : { name: variable, value: undefined };
  };
  const store = setting("OTP_STORE", "store", file.store);
  const audit = setting("OTP_AUDIT_URL", "audit.url", file.audit?.url);
  const parsed = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      throw new ConfigError([{ variable: name, problem: (error as Error).message }], configFile);
    }
  };
  return {
    store: parsed(store.name, () => parseStoreSpec(store.value ?? DEFAULT_STORE)),
    audit: audit.value === undefined ? undefined : parsed(audit.name, () => parseAuditSpec(audit.value!)),
  };
}
