/**
 * Every environment variable the service reads, in one table: where its value lands in the
 * configuration (config-schema.ts checks it there), how its text is read, its default and a line
 * of help. `serve --help` and docs/configuration.md print this table, and an OTP_* variable not in
 * it stops the start, so a new variable is one entry here (and its setting in the schema).
 */
import { schemaAt } from "./config-schema.js";

/**
 * How a variable's text becomes a configuration value. A text that does not read as its kind is
 * passed on as it is, for the schema to refuse with the setting's own words.
 */
export type VariableKind =
  /** as given */
  | "string"
  /** digits */
  | "integer"
  /** true | false */
  | "boolean"
  /** on | off */
  | "switch"
  /** comma-separated */
  | "list"
  /** comma-separated codes, in capitals */
  | "codes"
  /** `<max>/<seconds>` (5/600) or off */
  | "window"
  /** false | true | a hop count | comma-separated addresses */
  | "trust";

export interface Variable {
  readonly name: string;
  /** Where the value lands in the configuration; absent for a variable read on its own. */
  readonly path?: readonly string[];
  readonly kind: VariableKind;
  /** The default as people read it, where the schema has none or it depends on the mode. */
  readonly default?: string;
  readonly help: string;
}

export const VARIABLES: readonly Variable[] = [
  {
    name: "NODE_ENV",
    kind: "string",
    default: "development",
    help: "production | development | test; production needs keys, refuses memory, serves no outbox",
  },
  {
    name: "OTEL_EXPORTER_OTLP_ENDPOINT",
    kind: "string",
    default: "none",
    help: "traces over OTLP when set (or OTEL_TRACES_EXPORTER); the other standard OTEL_* variables apply",
  },
  { name: "OTP_CONFIG", kind: "string", default: "none", help: "a configuration file (.json, .yaml, .yml); `serve --config` wins over it" },
  {
    name: "OTP_KEYS",
    path: ["keys"],
    kind: "string",
    default: "development: generated",
    help: "kid:secret[,kid:secret…]; the first seals",
  },
  {
    name: "OTP_API_KEYS",
    path: ["apiKeys"],
    kind: "list",
    default: "development: generated",
    help: "comma-separated bearer keys, each with its scopes after a space: KEY verify | audit | metrics | admin",
  },
  { name: "OTP_STORE", path: ["store"], kind: "string", help: "memory | sqlite:<path> | redis://… | postgres://…" },
  { name: "OTP_DATA_DIR", path: ["dataDir"], kind: "string", help: "where development keys are kept" },
  { name: "OTP_AUTO_MIGRATE", path: ["autoMigrate"], kind: "boolean", help: "a production start creates missing tables" },
  { name: "PORT", path: ["server", "port"], kind: "integer", help: "the port to listen on; 0 picks a free one" },
  { name: "HOST", path: ["server", "host"], kind: "string", default: "127.0.0.1 (production 0.0.0.0)", help: "the address to listen on" },
  { name: "OTP_DEV_PUBLIC", path: ["server", "devPublic"], kind: "boolean", help: "allow development on a non-loopback HOST" },
  { name: "OTP_TRUST_PROXY", path: ["server", "trustProxy"], kind: "trust", help: "when to believe X-Forwarded-For" },
  { name: "OTP_BODY_LIMIT_BYTES", path: ["server", "bodyLimitBytes"], kind: "integer", help: "larger request bodies get 413" },
  { name: "LOG_LEVEL", path: ["server", "logLevel"], kind: "string", help: "the log's level" },
  { name: "OTP_CODE_LENGTH", path: ["policy", "codeLength"], kind: "integer", help: "digits per code" },
  { name: "OTP_CODE_TTL_SECONDS", path: ["policy", "codeTtlSeconds"], kind: "integer", help: "how long a code works" },
  {
    name: "OTP_SESSION_TTL_SECONDS",
    path: ["policy", "sessionTtlSeconds"],
    kind: "integer",
    help: "how long a context and its resends live",
  },
  { name: "OTP_MAX_ATTEMPTS", path: ["policy", "maxAttempts"], kind: "integer", help: "checks per verification" },
  {
    name: "OTP_MAX_SENDS_PER_SESSION",
    path: ["policy", "maxSendsPerSession"],
    kind: "integer",
    help: "codes per session, first + resends",
  },
  { name: "OTP_ASYNC_DELIVERY", path: ["policy", "asyncDelivery"], kind: "boolean", help: "answer before the channel finishes" },
  { name: "OTP_LOCKOUT_NOTICE", path: ["policy", "lockoutNotice"], kind: "boolean", help: "tell an identifier its codes were locked" },
  { name: "OTP_TRANSACTION", path: ["policy", "transaction"], kind: "string", help: "required | optional: codes bound to a transaction" },
  { name: "OTP_DEFAULT_COUNTRY", path: ["defaultCountry"], kind: "string", default: "none", help: "ISO country of national phone numbers" },
  { name: "OTP_RATE_LIMITS", path: ["guard", "enabled"], kind: "switch", help: "on | off: the guard (limits, lockouts)" },
  { name: "OTP_SMS_COUNTRIES", path: ["guard", "smsCountries"], kind: "codes", default: "any", help: "countries SMS may go to: US,CA,GB" },
  {
    name: "OTP_SENDS_PER_IDENTIFIER",
    path: ["guard", "sendsPerIdentifier"],
    kind: "window",
    help: "sends to one identifier per purpose",
  },
  {
    name: "OTP_RESEND_COOLDOWN_SECONDS",
    path: ["guard", "resendCooldownSeconds"],
    kind: "integer",
    help: "least time between two sends to one identifier",
  },
  { name: "OTP_SENDS_PER_IP", path: ["guard", "sendsPerIp"], kind: "window", help: "sends from one end-user IP" },
  {
    name: "OTP_FAILURES_PER_IDENTIFIER_AND_IP",
    path: ["guard", "failuresPerIdentifierAndIp"],
    kind: "integer",
    help: "failed checks for one identifier from one IP before a lockout",
  },
  {
    name: "OTP_FAILURES_PER_IDENTIFIER",
    path: ["guard", "failuresPerIdentifier"],
    kind: "integer",
    help: "failed checks for one identifier from all IPs before a lockout",
  },
  {
    name: "OTP_FAILURE_WINDOW_SECONDS",
    path: ["guard", "failureWindowSeconds"],
    kind: "integer",
    help: "how long failures are remembered",
  },
  { name: "OTP_LOCKOUT_SECONDS", path: ["guard", "lockout", "baseSeconds"], kind: "integer", help: "the first lockout; later ones double" },
  { name: "OTP_LOCKOUT_MAX_SECONDS", path: ["guard", "lockout", "maxSeconds"], kind: "integer", help: "the longest lockout" },
  { name: "OTP_FAILURES_PER_IP", path: ["guard", "failuresPerIp"], kind: "window", help: "failed checks from one IP across identifiers" },
  { name: "OTP_AUDIT_RETENTION_DAYS", path: ["audit", "retentionDays"], kind: "integer", help: "days audit rows are kept" },
  { name: "OTP_AUDIT_MAX_BUFFERED", path: ["audit", "maxBuffered"], kind: "integer", help: "audit rows held in memory at most" },
  { name: "OTP_AUDIT_STRICT", path: ["audit", "strict"], kind: "boolean", help: "refuse starts and checks rather than drop audit rows" },
  {
    name: "OTP_AUDIT_URL",
    path: ["audit", "url"],
    kind: "string",
    default: "beside the store",
    help: "the audit log's own sqlite:<path> or postgres://…",
  },
  {
    name: "OTP_CONSOLE_IDLE_TIMEOUT_SECONDS",
    path: ["console", "idleTimeoutSeconds"],
    kind: "integer",
    help: "a console session unused this long ends (/admin)",
  },
  {
    name: "OTP_CONSOLE_LIFETIME_SECONDS",
    path: ["console", "lifetimeSeconds"],
    kind: "integer",
    help: "a console session ends this long after sign-in, however busy",
  },
  { name: "OTP_ALERTS_INTERVAL_SECONDS", path: ["alerts", "intervalSeconds"], kind: "integer", help: "how often alert rules run" },
  {
    name: "OTP_ALERTS_WEBHOOK_URL",
    path: ["alerts", "webhookUrl"],
    kind: "string",
    default: "none",
    help: "where alert changes are posted",
  },
  { name: "OTP_ALERTS_WEBHOOK_SECRET", path: ["alerts", "webhookSecret"], kind: "string", default: "none", help: "signs alert posts" },
  {
    name: "OTP_ALERTS_RULES_FILE",
    path: ["alerts", "rulesFile"],
    kind: "string",
    default: "beside a SQL audit log",
    help: "where the alert rules an admin saves are kept",
  },
  { name: "OTP_SMTP_URL", path: ["channels", "smtp", "url"], kind: "string", default: "none", help: "email channel: smtp:// or smtps://" },
  { name: "OTP_EMAIL_FROM", path: ["channels", "smtp", "from"], kind: "string", default: "none", help: "email channel: the sender" },
  {
    name: "OTP_TWILIO_ACCOUNT_SID",
    path: ["channels", "twilio", "accountSid"],
    kind: "string",
    default: "none",
    help: "sms channel: Twilio account (AC…)",
  },
  {
    name: "OTP_TWILIO_AUTH_TOKEN",
    path: ["channels", "twilio", "authToken"],
    kind: "string",
    default: "none",
    help: "sms channel: Twilio auth token",
  },
  {
    name: "OTP_TWILIO_FROM",
    path: ["channels", "twilio", "from"],
    kind: "string",
    default: "none",
    help: "sms channel: sender number or id",
  },
  {
    name: "OTP_TWILIO_MESSAGING_SERVICE_SID",
    path: ["channels", "twilio", "messagingServiceSid"],
    kind: "string",
    default: "none",
    help: "sms channel: or a Messaging Service (MG…)",
  },
  {
    name: "OTP_WEBHOOK_URL",
    path: ["channels", "webhook", "url"],
    kind: "string",
    default: "none",
    help: "webhook channel: where to POST",
  },
  {
    name: "OTP_WEBHOOK_SECRET",
    path: ["channels", "webhook", "secret"],
    kind: "string",
    default: "none",
    help: "webhook channel: signing secret",
  },
  {
    name: "OTP_EVENT_WEBHOOK_URL",
    path: ["webhooks", "url"],
    kind: "string",
    default: "none",
    help: "outgoing webhooks: where events are POSTed (one subscription; more in the file)",
  },
  {
    name: "OTP_EVENT_WEBHOOK_SECRET",
    path: ["webhooks", "secret"],
    kind: "string",
    default: "none",
    help: "outgoing webhooks: signing secret",
  },
  {
    name: "OTP_EVENT_WEBHOOK_EVENTS",
    path: ["webhooks", "events"],
    kind: "list",
    default: "none",
    help: "outgoing webhooks: event types, verification.* or factor.*",
  },
  {
    name: "OTP_EVENT_WEBHOOK_IDENTIFIER",
    path: ["webhooks", "includeIdentifier"],
    kind: "boolean",
    help: "outgoing webhooks: the identifier in clear, not only masked and hashed",
  },
  {
    name: "OTP_EVENT_WEBHOOK_MAX_QUEUED",
    path: ["webhooks", "maxQueued"],
    kind: "integer",
    help: "outgoing webhooks: events held at most",
  },
  {
    name: "OTP_EVENT_WEBHOOK_SPOOL",
    path: ["webhooks", "spoolFile"],
    kind: "string",
    default: "webhook-spool.json in dataDir",
    help: "outgoing webhooks: where pending events wait across a restart",
  },
  { name: "OTP_APP_NAME", path: ["templates", "appName"], kind: "string", default: "none", help: "the product name in messages" },
  {
    name: "OTP_WEBOTP_DOMAIN",
    path: ["templates", "webOtpDomain"],
    kind: "string",
    default: "none",
    help: "the @domain #code line for WebOTP",
  },
];

/**
 * OTP_* names the service does not read but that may stand in its environment: the examples'
 * client settings (docs/service.md) and the test suite's own.
 */
export function isForeignVariable(name: string): boolean {
  return name === "OTP_URL" || name === "OTP_API_KEY" || name === "OTP_FUZZ_SEED" || name.startsWith("OTP_TEST_");
}

/** The variables whose value lands somewhere in the configuration. */
export const MAPPED_VARIABLES = VARIABLES.filter(
  (variable): variable is Variable & { path: readonly string[] } => variable.path !== undefined,
);

/** A variable's text as a configuration value of its kind (see VariableKind). */
export function readVariable(kind: VariableKind, raw: string): unknown {
  switch (kind) {
    case "string":
      return raw;
    case "integer":
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "switch":
      return raw === "on" ? true : raw === "off" ? false : raw;
    case "list":
      return splitList(raw);
    case "codes":
      return splitList(raw).map((code) => code.toUpperCase());
    case "window": {
      if (raw === "off" || raw === "false") return false;
      const match = /^(\d+)\/(\d+)$/.exec(raw);
      return match ? { max: Number(match[1]), windowSeconds: Number(match[2]) } : raw;
    }
    case "trust":
      if (raw === "true" || raw === "false") return raw === "true";
      return /^\d+$/.test(raw) ? Number(raw) : splitList(raw);
  }
}

/** What a variable of this kind must look like, for a problem that names it. */
export function kindProblem(kind: VariableKind): string | undefined {
  switch (kind) {
    case "boolean":
      return "must be true or false";
    case "switch":
      return "must be on or off";
    case "window":
      return "must be <max>/<seconds>, as in 5/600, or off";
    default:
      return undefined;
  }
}

function splitList(raw: string): string[] {
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The values a variable takes, as help and the reference show them: its kind and its setting's bounds. */
export function formatOf(variable: Variable): string {
  const node = variable.path ? schemaAt(variable.path).node : undefined;
  switch (variable.kind) {
    case "integer":
      return node && typeof node.minimum === "number" ? `integer ${node.minimum}-${node.maximum}` : "integer";
    case "boolean":
      return "true | false";
    case "switch":
      return "on | off";
    case "list":
      return "comma-separated list";
    case "codes":
      return "comma-separated codes";
    case "window":
      return "<max>/<seconds> | off";
    case "trust":
      return "false | true | hop count | addresses";
    case "string":
      return Array.isArray(node?.enum) ? node.enum.join(" | ") : "string";
  }
}

/** A variable's default as people read it: the table's words, else its setting's default in the schema. */
export function defaultOf(variable: Variable): string {
  if (variable.default !== undefined) return variable.default;
  const value = variable.path ? schemaAt(variable.path).node?.default : undefined;
  if (value === undefined) return "none";
  if (variable.kind === "switch") return value ? "on" : "off";
  if (variable.kind === "window" && typeof value === "object" && value !== null) {
    const { max, windowSeconds } = value as { max: number; windowSeconds: number };
    return `${max}/${windowSeconds}`;
  }
  return String(value);
}
