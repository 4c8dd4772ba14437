/**
 * The service's configuration, from environment variables only. Every problem is reported at
 * start, each naming its variable and what is wrong; a secret's value is never echoed.
 */
import { isIP } from "node:net";
import { isLoopbackHost } from "../channels/http-delivery.js";
import { isHostName } from "../channels/templates.js";
import { parseTrustEntry } from "../core/client-ip.js";
import { parseKeys } from "../core/keyring.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../core/limits.js";
import { DEFAULT_POLICY, POLICY_BOUNDS, resolvePolicy, type BoundedPolicyField, type PurposePolicy } from "../engine/options.js";
import { parseApiKeys, type ApiKey } from "./api-keys.js";
import type { TrustProxy } from "./client-info.js";
import { DEFAULT_STORE, parseStoreSpec, type StoreSpec } from "./store-from-config.js";
import { loadChannelConfig, loadLimitsConfig, type ChannelConfig, type LimitsConfig } from "./channel-config.js";

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
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: ReadonlyArray<{ variable: string; problem: string }>;

  constructor(problems: ReadonlyArray<{ variable: string; problem: string }>) {
    super(`invalid configuration:\n${problems.map(({ variable, problem }) => `  ${variable}: ${problem}`).join("\n")}`);
    this.problems = problems;
  }
}

const NODE_ENVS = new Set(["production", "development", "test"]);
const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** The policy's environment variables, each checked against the engine's bounds for its field. */
const POLICY_VARIABLES: ReadonlyArray<readonly [BoundedPolicyField, string]> = [
  ["codeLength", "OTP_CODE_LENGTH"],
  ["codeTtlSeconds", "OTP_CODE_TTL_SECONDS"],
  ["sessionTtlSeconds", "OTP_SESSION_TTL_SECONDS"],
  ["maxAttempts", "OTP_MAX_ATTEMPTS"],
  ["maxSendsPerSession", "OTP_MAX_SENDS_PER_SESSION"],
];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): ServiceConfig {
  const problems: Array<{ variable: string; problem: string }> = [];
  const problem = (variable: string, message: string) => problems.push({ variable, problem: message });
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const integer = (name: string, fallback: number | undefined, min: number, max: number): number | undefined => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      problem(name, `must be an integer from ${min} to ${max}, got '${raw.slice(0, 20)}'`);
      return fallback;
    }
    return parsed;
  };

  const nodeEnv = value("NODE_ENV");
  // Anything else ("prod", "Production") would quietly run in development, outbox and all.
  if (nodeEnv !== undefined && !NODE_ENVS.has(nodeEnv))
    problem("NODE_ENV", `must be production, development or test, got '${nodeEnv.slice(0, 20)}'`);
  const production = nodeEnv === "production";

  const keys = value("OTP_KEYS");
  if (keys !== undefined) {
    try {
      parseKeys(keys);
    } catch (error) {
      problem("OTP_KEYS", (error as Error).message.replace(/^otp-actions: /, ""));
    }
  } else if (production) {
    problem("OTP_KEYS", "is required in production; generate one with `otp-actions keygen`");
  }

  let apiKeys: ApiKey[] | undefined;
  const rawApiKeys = value("OTP_API_KEYS");
  if (rawApiKeys !== undefined) {
    const parsed = parseApiKeys(rawApiKeys);
    apiKeys = parsed.keys;
    for (const message of parsed.problems) problem("OTP_API_KEYS", message);
  } else if (production) {
    problem("OTP_API_KEYS", "is required in production; generate one with `otp-actions keygen --api-key`");
  }

  let store: StoreSpec = { kind: "memory" };
  try {
    store = parseStoreSpec(value("OTP_STORE") ?? DEFAULT_STORE);
  } catch (error) {
    problem("OTP_STORE", (error as Error).message);
  }
  if (production && store.kind === "memory") {
    problem("OTP_STORE", "memory is refused in production: its state is lost on restart and not shared between instances");
  }

  const port = integer("PORT", 3000, 0, 65535)!;
  const host = value("HOST") ?? (production ? "0.0.0.0" : "127.0.0.1");
  if (!isListenHost(host)) problem("HOST", `must be an IP address or a host name such as localhost, got '${host.slice(0, 60)}'`);
  // Development serves every code at /dev/outbox, unauthenticated: only to this machine, unless asked.
  else if (!production && !isLoopbackHost(host) && value("OTP_DEV_PUBLIC") !== "true") {
    problem(
      "HOST",
      `is not a loopback address in development, where /dev/outbox shows every code to anyone who can connect; set NODE_ENV=production, or OTP_DEV_PUBLIC=true to serve development on '${host.slice(0, 60)}' anyway`,
    );
  }

  const policy: PurposePolicy = {};
  for (const [field, variable] of POLICY_VARIABLES) {
    const { min, max } = POLICY_BOUNDS[field];
    const parsed = integer(variable, undefined, min, max);
    if (parsed !== undefined) policy[field] = parsed;
  }
  try {
    resolvePolicy(DEFAULT_POLICY, policy, "policy");
  } catch {
    problem(
      "OTP_SESSION_TTL_SECONDS",
      `must be at least OTP_CODE_TTL_SECONDS (${policy.codeTtlSeconds ?? DEFAULT_POLICY.codeTtlMs / 1000})`,
    );
  }

  const trustProxy = parseTrustProxy(value("OTP_TRUST_PROXY"), (message) => problem("OTP_TRUST_PROXY", message));
  const bodyLimitBytes = integer("OTP_BODY_LIMIT_BYTES", DEFAULT_BODY_LIMIT_BYTES, 1024, 1024 * 1024)!;

  const logLevel = value("LOG_LEVEL") ?? "info";
  if (!LOG_LEVELS.has(logLevel)) problem("LOG_LEVEL", `must be one of ${[...LOG_LEVELS].join(", ")}`);

  const auditRetentionDays = integer("OTP_AUDIT_RETENTION_DAYS", 90, 1, 3650)!;
  const auditMaxBuffered = integer("OTP_AUDIT_MAX_BUFFERED", 50_000, 100, 1_000_000)!;
  const rawAuditStrict = value("OTP_AUDIT_STRICT") ?? "false";
  if (rawAuditStrict !== "true" && rawAuditStrict !== "false")
    problem("OTP_AUDIT_STRICT", `must be true or false, got '${rawAuditStrict.slice(0, 20)}'`);
  const auditStrict = rawAuditStrict === "true";
  const channels = loadChannelConfig(value, problem);
  const limits = loadLimitsConfig(value, problem);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    production,
    keys,
    apiKeys,
    store,
    port,
    host,
    policy,
    trustProxy,
    bodyLimitBytes,
    logLevel,
    dataDir: value("OTP_DATA_DIR") ?? "./data",
    channels,
    limits,
    auditRetentionDays,
    auditMaxBuffered,
    auditStrict,
  };
}

/** An address to listen on: an IP (no brackets, as `listen` takes it) or a host name to resolve. */
function isListenHost(host: string): boolean {
  return isIP(host) !== 0 || isHostName(host);
}

/** false (default) | true | a hop count | addresses and CIDR ranges of trusted proxies, comma-separated. */
function parseTrustProxy(raw: string | undefined, problem: (message: string) => void): TrustProxy {
  if (raw === undefined || raw === "false" || raw === "0") return false;
  if (raw === "true") return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!parseTrustEntry(entry)) {
      problem(`'${entry.slice(0, 60)}' is not true, false, a hop count, or an IP address / CIDR range`);
      return false;
    }
  }
  return entries;
}
