/**
 * The JSON Schema of the service's configuration: the one description of every setting, its type,
 * bounds and default. A configuration file is checked against it, environment variables are laid
 * over the file and checked against it too (variables.ts), and docs/configuration.md is generated
 * from it. Bounds come from the engine's constants; the guard's are repeated here and a test holds
 * them to the guard's own checks, which the loader also runs.
 */
import { DEFAULT_BODY_LIMIT_BYTES, LOCALE_PATTERN, MAX_ATTEMPTS_BOUND, NAME_PATTERN } from "../core/limits.js";
import { DEFAULT_POLICY, POLICY_BOUNDS } from "../engine/options.js";
import { DEFAULT_CHANNEL_BUDGET, DEFAULT_LIMITS, DEFAULT_PREFIX_VELOCITY } from "../guard/options.js";
import { DEFAULT_STORE } from "./store-from-config.js";
import { WEBHOOKS_SCHEMA } from "./webhooks/config-schema.js";
import { ALERTS_CONFIG_SCHEMA } from "./alerts/alerts-config.js";

/** A schema node as this module writes them; `problem` says in words what a value must be. */
export type SchemaNode = Record<string, unknown>;

const DAY = 86_400;
const WEEK = 7 * DAY;
const NUMBER_TYPES = [
  "MOBILE",
  "FIXED_LINE_OR_MOBILE",
  "FIXED_LINE",
  "VOIP",
  "TOLL_FREE",
  "PREMIUM_RATE",
  "SHARED_COST",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
];

function integer(minimum: number, maximum: number, description: string, defaultValue?: number): SchemaNode {
  return { type: "integer", minimum, maximum, description, ...(defaultValue !== undefined && { default: defaultValue }) };
}

function object(properties: Record<string, SchemaNode>, description: string, extra: SchemaNode = {}): SchemaNode {
  return { type: "object", description, additionalProperties: false, properties, ...extra };
}

/** `{ max, windowSeconds }`, or false to turn the limit off. */
function limitWindow(description: string, defaultValue: { max: number; windowSeconds: number } | null): SchemaNode {
  return {
    description: `${description}; \`false\` turns it off`,
    ...(defaultValue && { default: defaultValue }),
    if: { type: "boolean" },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise
    then: { const: false, problem: "must be { max, windowSeconds } or false" },
    else: object(
      {
        max: integer(1, 1_000_000_000, "events allowed per window"),
        windowSeconds: integer(1, WEEK, "the window, from its first event"),
      },
      "a budget",
      { required: ["max", "windowSeconds"], problem: "must be { max, windowSeconds } or false" },
    ),
  };
}

const bounds = POLICY_BOUNDS;

/** What the engine takes per purpose, or for all: see PurposePolicy. */
const policyProperties: Record<string, SchemaNode> = {
  codeLength: integer(bounds.codeLength.min, bounds.codeLength.max, "digits per code", DEFAULT_POLICY.codeLength),
  codeTtlSeconds: integer(bounds.codeTtlSeconds.min, bounds.codeTtlSeconds.max, "how long a code works", DEFAULT_POLICY.codeTtlMs / 1000),
  sessionTtlSeconds: integer(
    bounds.sessionTtlSeconds.min,
    bounds.sessionTtlSeconds.max,
    "how long a context and its resends live; at least codeTtlSeconds",
    DEFAULT_POLICY.sessionTtlMs / 1000,
  ),
  maxAttempts: integer(
    bounds.maxAttempts.min,
    bounds.maxAttempts.max,
    "checks per verification, resends included",
    DEFAULT_POLICY.maxAttempts,
  ),
  maxSendsPerSession: integer(
    bounds.maxSendsPerSession.min,
    bounds.maxSendsPerSession.max,
    "codes one session may send, the first and its resends",
    DEFAULT_POLICY.maxSendsPerSession,
  ),
  asyncDelivery: {
    type: "boolean",
    default: DEFAULT_POLICY.asyncDelivery,
    description: "answer starts and resends before the channel finishes, so response time never depends on it",
  },
  channels: {
    type: "array",
    items: { type: "string", pattern: NAME_PATTERN, problem: "is not a channel name (letters, digits and _ . : -, at most 64)" },
    minItems: 1,
    uniqueItems: true,
    description:
      "the channels (email, sms, webhook…) starts and resends may deliver through; any other is refused with 400 (default any configured)",
  },
  locale: {
    type: "string",
    pattern: LOCALE_PATTERN,
    problem: 'must be a BCP 47 language tag such as "fr" or "pt-BR"',
    description: "the message locale when a start or resend gives none (default the channel's)",
  },
  transaction: {
    type: "string",
    enum: ["required", "optional"],
    default: "optional",
    description: "required: every start binds its code to a transaction (amount, currency, payee), else 400; see docs/transactions.md",
  },
  lockoutNotice: {
    anyOf: [
      { type: "boolean" },
      {
        type: "object",
        additionalProperties: false,
        properties: { channel: { type: "string", pattern: NAME_PATTERN, description: "the channel notices go through" } },
      },
    ],
    default: false,
    description:
      "when failed checks lock an identifier out, send it a notice (no code) through the code's channel or `channel`; at most one per identifier a day",
  },
};

const d = DEFAULT_LIMITS;
/** The guard's limits that can differ per purpose: see LimitSettings. */
const limitProperties: Record<string, SchemaNode> = {
  sendsPerIdentifier: limitWindow("sends to one identifier for one purpose", d.sendsPerIdentifier),
  resendCooldownSeconds: integer(
    0,
    DAY,
    "least time between two sends to one identifier for one purpose; 0 turns it off",
    d.resendCooldownSeconds,
  ),
  sendsPerIp: limitWindow("sends from one end-user IP (IPv6: its /64)", d.sendsPerIp),
  failuresPerIdentifierAndIp: integer(
    1,
    MAX_ATTEMPTS_BOUND,
    "consecutive failed checks for one identifier + purpose from one IP before that pair is locked out",
    d.failuresPerIdentifierAndIp,
  ),
  failuresPerIdentifier: integer(
    1,
    MAX_ATTEMPTS_BOUND,
    "consecutive failed checks for one identifier + purpose across every IP before the identifier is locked out",
    d.failuresPerIdentifier,
  ),
  failureWindowSeconds: integer(1, 30 * DAY, "how long failures are remembered without a success", d.failureWindowSeconds),
  lockout: object(
    {
      baseSeconds: integer(1, WEEK, "the first lockout", d.lockout.baseSeconds),
      maxSeconds: integer(1, WEEK, "each further lockout doubles, up to this; at least baseSeconds", d.lockout.maxSeconds),
      levelWindowSeconds: integer(1, 30 * DAY, "lockouts are counted, for the doubling, within this window", d.lockout.levelWindowSeconds),
    },
    "how long a lockout lasts",
  ),
  failuresPerIp: limitWindow("failed checks and replays from one end-user IP across identifiers (spraying)", d.failuresPerIp),
};

const pv = DEFAULT_PREFIX_VELOCITY;

export const CONFIG_SCHEMA_ID = "urn:otp-actions:configuration";

export const CONFIG_SCHEMA: SchemaNode = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: CONFIG_SCHEMA_ID,
  title: "otp-actions service configuration",
  type: "object",
  additionalProperties: false,
  properties: {
    $schema: { type: "string", description: "this schema's address, for editors" },
    keys: {
      type: ["string", "array"],
      items: { type: "string" },
      minItems: 1,
      writeOnly: true,
      description:
        "`kid:secret[,kid:secret…]` or a list of them (`otp-actions keygen`); the first seals, all open. Development generates one under dataDir",
    },
    apiKeys: {
      type: "array",
      items: { type: "string" },
      minItems: 1,
      writeOnly: true,
      description:
        "bearer keys for /v1 and /metrics, 16-512 printable characters (`otp-actions keygen --api-key`), each followed by its scopes after a space (`KEY verify`, `KEY audit metrics`, `KEY admin`; none: `verify` only). Development generates one with `admin` and prints it",
    },
    store: {
      type: "string",
      writeOnly: true,
      default: DEFAULT_STORE,
      description: "`memory` (one process, development only), `sqlite:<path>`, `redis://…` (`rediss://`), `postgres://…`",
    },
    dataDir: { type: "string", minLength: 1, default: "./data", description: "where development keys are kept" },
    autoMigrate: {
      type: "boolean",
      default: false,
      description: "a production start creates missing tables (and loads Redis's scripts) rather than refuse to start",
    },
    defaultCountry: {
      type: "string",
      pattern: "^[A-Z]{2}$",
      problem: "must be an ISO 3166 alpha-2 code in capitals, such as US",
      description:
        "the country of phone numbers given in national form (`0612345678`); without it only international ones (`+33…`) are taken",
    },
    server: object(
      {
        port: integer(0, 65535, "0 picks a free port", 3000),
        host: {
          type: "string",
          description:
            "an IP address or a host name; default 127.0.0.1 (production 0.0.0.0). In development a loopback one only (/dev/outbox shows every code), unless devPublic",
        },
        devPublic: {
          type: "boolean",
          default: false,
          description: "serve development (its outbox and demo page) on a host other than loopback",
        },
        trustProxy: {
          type: ["boolean", "integer", "array"],
          minimum: 0,
          items: { type: "string" },
          minItems: 1,
          default: false,
          problem: "must be true, false, a hop count, or a list of proxy addresses / CIDR ranges",
          description: "when to believe `X-Forwarded-For`: true, a hop count, or the proxies' addresses / CIDR ranges",
        },
        bodyLimitBytes: integer(1024, 1024 * 1024, "larger request bodies get 413", DEFAULT_BODY_LIMIT_BYTES),
        logLevel: {
          type: "string",
          enum: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
          default: "info",
          description: "the log's level",
        },
      },
      "the HTTP listener",
    ),
    policy: object(policyProperties, "every purpose's code policy, unless its purpose says otherwise"),
    purposes: {
      type: "object",
      description: "per purpose (its name as requests give it): the policy and guard limits that differ from the defaults",
      propertyNames: { pattern: NAME_PATTERN, problem: "is not a purpose name (letters, digits and _ . : -, at most 64)" },
      additionalProperties: object(
        {
          ...policyProperties,
          guard: object(limitProperties, "the guard's limits for this purpose"),
        },
        "one purpose's policy",
      ),
    },
    guard: object(
      {
        enabled: { type: "boolean", default: true, description: "the guard: send limits, failure budgets, lockouts, SMS defences" },
        ...limitProperties,
        smsCountries: {
          type: "array",
          items: { type: "string", pattern: "^[A-Z]{2}$", problem: "must be an ISO 3166 country code in capitals, such as US" },
          minItems: 1,
          description:
            "countries codes may be texted or called to (default any; production warns when a channel reaches phones without it)",
        },
        smsNumberTypes: object(
          {
            sms: { type: "array", items: { enum: NUMBER_TYPES }, description: "default MOBILE, FIXED_LINE_OR_MOBILE" },
            voice: { type: "array", items: { enum: NUMBER_TYPES }, description: "default MOBILE, FIXED_LINE_OR_MOBILE, FIXED_LINE" },
          },
          "number types each medium may deliver to",
        ),
        channelBudgets: {
          type: "object",
          description: `a ceiling per channel across every identifier and IP; default ${DEFAULT_CHANNEL_BUDGET.max} per ${DEFAULT_CHANNEL_BUDGET.windowSeconds} s for channels that reach phones`,
          propertyNames: { pattern: NAME_PATTERN, problem: "is not a channel name" },
          additionalProperties: limitWindow("one channel's budget", null),
        },
        prefixVelocity: {
          description: "blocks a number prefix that many distinct numbers are sent to (SMS pumping); `false` turns it off",
          if: { type: "boolean" },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise
          then: { const: false, problem: "must be an object or false" },
          else: object(
            {
              suffixDigits: integer(1, 6, "numbers that differ only in these last digits share a prefix", pv.suffixDigits),
              maxNumbers: integer(1, 1_000_000, "distinct numbers under one prefix allowed per window", pv.maxNumbers),
              windowSeconds: integer(1, WEEK, "the window", pv.windowSeconds),
              blockSeconds: integer(1, WEEK, "how long a prefix stays blocked once over", pv.blockSeconds),
            },
            "the prefix limit",
            { problem: "must be an object or false" },
          ),
        },
      },
      "abuse protection, on by default; these settings apply to every purpose unless its purpose says otherwise",
    ),
    channels: object(
      {
        smtp: object(
          {
            url: { type: "string", writeOnly: true, description: "`smtp://` or `smtps://` (STARTTLS or TLS off loopback)" },
            from: { type: "string", description: "the sender address" },
          },
          "the `email` channel (SMTP)",
        ),
        twilio: object(
          {
            accountSid: { type: "string", description: "`AC` + 32 characters" },
            authToken: { type: "string", writeOnly: true, description: "the account's auth token" },
            from: { type: "string", description: "a sender number or id; or messagingServiceSid" },
            messagingServiceSid: { type: "string", description: "`MG` + 32 characters; or from" },
          },
          "the `sms` channel (Twilio REST)",
        ),
        webhook: object(
          {
            url: { type: "string", description: "https, or http to a loopback host" },
            secret: { type: "string", writeOnly: true, description: "signs each request; 16 characters or more" },
          },
          "the `webhook` channel (a signed POST)",
        ),
      },
      "production delivery channels, each configured by all its settings (one of twilio's from and messagingServiceSid); in development each kind not configured is delivered to the outbox",
    ),
    templates: object(
      {
        appName: { type: "string", description: "the product name in messages, 1-100 characters" },
        webOtpDomain: { type: "string", description: "the `@domain #code` line for WebOTP: a bare host name" },
      },
      "message templates",
    ),
    audit: object(
      {
        retentionDays: integer(1, 3650, "audit rows older than this are deleted in bounded batches", 90),
        maxBuffered: integer(
          100,
          1_000_000,
          "audit rows held in memory at most while the log is slow or down: what a crash can lose at worst",
          50_000,
        ),
        strict: {
          type: "boolean",
          default: false,
          description: "rather than drop audit rows, refuse starts and checks (503) while maxBuffered rows are held",
        },
        url: {
          type: "string",
          writeOnly: true,
          description:
            "the audit log's own `sqlite:<path>` file or `postgres://…` database, for any store (the durable choice beside Redis); default beside the store",
        },
      },
      "the audit log beside the ledger",
    ),
    console: object(
      {
        idleTimeoutSeconds: integer(60, 86_400, "a console session unused this long ends; the operator signs in again", 900),
        lifetimeSeconds: integer(
          300,
          604_800,
          "a console session ends this long after sign-in, however busy; the operator signs in again",
          43_200,
        ),
      },
      "the operator console at /admin",
    ),
    webhooks: WEBHOOKS_SCHEMA,
    alerts: ALERTS_CONFIG_SCHEMA,
  },
};

/** One step down a schema along an instance path segment; undefined when the schema has no such place. */
export function childSchema(node: SchemaNode, key: string): SchemaNode | undefined {
  const branch = (node.else as SchemaNode | undefined) ?? node;
  const properties = branch.properties as Record<string, SchemaNode> | undefined;
  if (properties && Object.hasOwn(properties, key)) return properties[key];
  if (/^\d+$/.test(key) && typeof branch.items === "object") return branch.items as SchemaNode;
  if (typeof branch.additionalProperties === "object") return branch.additionalProperties as SchemaNode;
  return undefined;
}

/** The node at `path` and whether any node on the way holds a secret (writeOnly). */
export function schemaAt(path: readonly string[], root: SchemaNode = CONFIG_SCHEMA): { node: SchemaNode | undefined; secret: boolean } {
  let node: SchemaNode | undefined = root;
  let secret = false;
  for (const key of path) {
    node = node && childSchema(node, key);
    if (node?.writeOnly === true) secret = true;
  }
  return { node, secret };
}
