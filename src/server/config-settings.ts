/**
 * The service's settings as TypeScript sees them once the schema (config-schema.ts) has accepted
 * them: every key optional, each shaped as the schema describes it.
 */
import type { WebhooksSettingsDocument } from "./webhooks/config.js";

type Window = { max: number; windowSeconds: number } | false;

/** One purpose's settings, or the guard's: the schema's `purposes.*.guard` and `guard`. */
export interface LimitSettingsDocument {
  sendsPerIdentifier?: Window;
  resendCooldownSeconds?: number;
  sendsPerIp?: Window;
  failuresPerIdentifierAndIp?: number;
  failuresPerIdentifier?: number;
  failureWindowSeconds?: number;
  lockout?: { baseSeconds?: number; maxSeconds?: number; levelWindowSeconds?: number };
  failuresPerIp?: Window;
}

/** A `policy` or `purposes.<name>` section: the engine's per-purpose policy. */
export interface PolicyDocument {
  codeLength?: number;
  codeTtlSeconds?: number;
  sessionTtlSeconds?: number;
  maxAttempts?: number;
  maxSendsPerSession?: number;
  asyncDelivery?: boolean;
  channels?: string[];
  locale?: string;
  transaction?: "required" | "optional";
  lockoutNotice?: boolean | { channel?: string };
}

/** The settings as the schema describes them, once it has accepted them (every key optional). */
export interface SettingsDocument {
  keys?: string | string[];
  apiKeys?: string[];
  store?: string;
  dataDir?: string;
  autoMigrate?: boolean;
  defaultCountry?: string;
  server?: {
    port?: number;
    host?: string;
    devPublic?: boolean;
    trustProxy?: boolean | number | string[];
    bodyLimitBytes?: number;
    logLevel?: string;
  };
  policy?: PolicyDocument;
  purposes?: Record<string, PolicyDocument & { guard?: LimitSettingsDocument }>;
  guard?: LimitSettingsDocument & {
    enabled?: boolean;
    smsCountries?: string[];
    smsNumberTypes?: { sms?: string[]; voice?: string[] };
    channelBudgets?: Record<string, Window>;
    prefixVelocity?: { suffixDigits?: number; maxNumbers?: number; windowSeconds?: number; blockSeconds?: number } | false;
  };
  channels?: {
    smtp?: { url?: string; from?: string };
    twilio?: { accountSid?: string; authToken?: string; from?: string; messagingServiceSid?: string };
    webhook?: { url?: string; secret?: string };
  };
  templates?: { appName?: string; webOtpDomain?: string };
  audit?: { retentionDays?: number; maxBuffered?: number; strict?: boolean; url?: string };
  console?: { idleTimeoutSeconds?: number; lifetimeSeconds?: number };
  webhooks?: WebhooksSettingsDocument;
}
