/**
 * Delivery channels and the guard from the configuration. Each channel is a group of settings
 * (`channels.smtp`, `channels.twilio`, `channels.webhook`, or their OTP_* variables); a
 * half-configured channel is a start-up error that names the missing setting, and each value is
 * checked by the rule its channel applies, so no channel fails to build at start.
 */
import { isSupportedCountry, type CountryCode, type PhoneNumberType } from "libphonenumber-js";
import { hasCredentials, isSecureHttpUrl } from "../channels/http-delivery.js";
import { isAppName, isHostName } from "../channels/templates.js";
import { isTwilioAccountSid, isTwilioMessagingServiceSid } from "../channels/twilio.js";
import { MIN_WEBHOOK_SECRET_CHARS } from "../channels/webhook.js";
import { createGuard } from "../guard/index.js";
import { DEFAULT_LIMITS, type GuardOptions, type LimitSettings } from "../guard/options.js";
import type { ConfigDocument } from "./config-document.js";
import type { LimitSettingsDocument, SettingsDocument } from "./config-settings.js";

export interface ChannelConfig {
  smtp?: { url: string; from: string };
  twilio?: { accountSid: string; authToken: string; from?: string; messagingServiceSid?: string };
  webhook?: { url: string; secret: string };
  appName?: string;
  webOtpDomain?: string;
}

/** The guard's options from the configuration, all but where its counters live. */
export type GuardSettings = Omit<GuardOptions, "counters" | "onBackendError">;

export interface LimitsConfig {
  enabled: boolean;
  smsCountries?: CountryCode[];
  /** Limits, lockouts, budgets and per-purpose overrides (smsCountries included when set). */
  settings: GuardSettings;
}

type Problem = (variable: string, message: string) => void;
type Path = readonly string[];

export function loadChannelConfig(document: ConfigDocument, problem: Problem): ChannelConfig {
  const settings = document.settings as SettingsDocument;
  const config: ChannelConfig = {};
  const smtp = smtpConfig(document, problem);
  const twilio = twilioConfig(document, problem);
  const webhook = webhookConfig(document, problem);
  if (smtp) config.smtp = smtp;
  if (twilio) config.twilio = twilio;
  if (webhook) config.webhook = webhook;
  const { appName, webOtpDomain } = settings.templates ?? {};
  if (appName !== undefined && !isAppName(appName))
    problem(document.nameOf(["templates", "appName"]), "must be 1-100 characters without control characters");
  if (webOtpDomain !== undefined && !isHostName(webOtpDomain))
    problem(document.nameOf(["templates", "webOtpDomain"]), "must be a host name such as example.com (no scheme, port or path)");
  if (appName !== undefined) config.appName = appName;
  if (webOtpDomain !== undefined) config.webOtpDomain = webOtpDomain;
  return config;
}

/**
 * One channel's settings: none set is no channel; any set makes each of `required` a must.
 * `optional` ones count as "set" too, so a lone one is reported rather than ignored.
 */
function together(
  document: ConfigDocument,
  problem: Problem,
  group: Path,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, string> | undefined {
  const values = (lookup(document.settings, group) ?? {}) as Record<string, string | undefined>;
  const present = [...required, ...optional].filter((key) => values[key] !== undefined);
  if (present.length === 0) return undefined;
  const missing = required.filter((key) => values[key] === undefined);
  const names = present.map((key) => document.nameOf([...group, key])).join(", ");
  for (const key of missing) problem(document.nameOf([...group, key]), `is required with ${names}`);
  return missing.length === 0 ? (values as Record<string, string>) : undefined;
}

function smtpConfig(document: ConfigDocument, problem: Problem): ChannelConfig["smtp"] {
  const smtp = together(document, problem, ["channels", "smtp"], ["url", "from"]);
  if (!smtp) return undefined;
  if (!/^smtps?:\/\//.test(smtp.url!)) problem(document.nameOf(["channels", "smtp", "url"]), "must be an smtp:// or smtps:// URL");
  return { url: smtp.url!, from: smtp.from! };
}

/** The rules twilioSmsChannel applies when the service builds it, checked here so each names its setting. */
function twilioConfig(document: ConfigDocument, problem: Problem): ChannelConfig["twilio"] {
  const group = ["channels", "twilio"];
  const name = (key: string) => document.nameOf([...group, key]);
  const twilio = together(document, problem, group, ["accountSid", "authToken"], ["from", "messagingServiceSid"]);
  if (!twilio) return undefined;
  const { accountSid, authToken, from, messagingServiceSid } = twilio;
  if (from === undefined && messagingServiceSid === undefined) {
    problem(name("from"), `or ${name("messagingServiceSid")} is required with ${name("accountSid")}`);
    return undefined;
  }
  if (from !== undefined && messagingServiceSid !== undefined) {
    problem(name("from"), `and ${name("messagingServiceSid")} are both set; set one: a sender number or id, or a Messaging Service`);
  }
  if (!isTwilioAccountSid(accountSid!))
    problem(name("accountSid"), "must be AC followed by 32 letters and digits, as the Twilio console shows it");
  if (messagingServiceSid !== undefined && !isTwilioMessagingServiceSid(messagingServiceSid)) {
    problem(name("messagingServiceSid"), "must be MG followed by 32 letters and digits, as the Twilio console shows it");
  }
  return {
    accountSid: accountSid!,
    authToken: authToken!,
    ...(from !== undefined && { from }),
    ...(messagingServiceSid !== undefined && { messagingServiceSid }),
  };
}

/** The rules webhookChannel applies when the service builds it (the service never allows insecure http). */
function webhookConfig(document: ConfigDocument, problem: Problem): ChannelConfig["webhook"] {
  const group = ["channels", "webhook"];
  const name = (key: string) => document.nameOf([...group, key]);
  const webhook = together(document, problem, group, ["url", "secret"]);
  if (!webhook) return undefined;
  const url = webhook.url!;
  const secret = webhook.secret!;
  if (!URL.canParse(url)) problem(name("url"), "must be an absolute URL");
  else if (hasCredentials(new URL(url)))
    problem(name("url"), `must not carry a user name or password; the signature (${name("secret")}) authenticates each request`);
  // The payload holds the code: plain http only where nobody on the network can read it.
  else if (!isSecureHttpUrl(new URL(url)))
    problem(name("url"), "must be https (http only to a loopback host such as 127.0.0.1 or localhost)");
  if (secret.length < MIN_WEBHOOK_SECRET_CHARS) problem(name("secret"), `must be at least ${MIN_WEBHOOK_SECRET_CHARS} characters`);
  return { url, secret };
}

export function loadLimitsConfig(document: ConfigDocument, problem: Problem): LimitsConfig {
  const { guard = {}, purposes = {} } = document.settings as SettingsDocument;
  const { enabled = true, smsCountries: countries, smsNumberTypes, channelBudgets, prefixVelocity, ...limits } = guard;
  const settings: GuardSettings = { ...(limits as LimitSettings) };
  let found = 0;
  const counted: Problem = (variable, message) => {
    found += 1;
    problem(variable, message);
  };
  checkLockout(document, counted, ["guard"], limits);
  const purposeLimits: Record<string, LimitSettings> = {};
  for (const [purpose, policy] of Object.entries(purposes)) {
    if (policy.guard === undefined) continue;
    if (policy.guard.lockout !== undefined)
      checkLockout(document, counted, ["purposes", purpose, "guard"], { lockout: { ...limits.lockout, ...policy.guard.lockout } });
    purposeLimits[purpose] = policy.guard as LimitSettings;
  }
  if (Object.keys(purposeLimits).length > 0) settings.purposes = purposeLimits;
  if (smsNumberTypes !== undefined) settings.smsNumberTypes = smsNumberTypes as { sms?: PhoneNumberType[]; voice?: PhoneNumberType[] };
  if (channelBudgets !== undefined) settings.channelBudgets = channelBudgets;
  if (prefixVelocity !== undefined) settings.prefixVelocity = prefixVelocity;

  const config: LimitsConfig = { enabled, settings };
  if (countries !== undefined) {
    const unknown = countries.filter((code) => !isSupportedCountry(code));
    if (unknown.length > 0)
      counted(document.nameOf(["guard", "smsCountries"]), `must be ISO 3166 country codes such as US,GB; not ${unknown.join(",")}`);
    else settings.smsCountries = config.smsCountries = countries as CountryCode[];
  }
  // The guard's own checks, in case a rule of its own goes beyond what the schema says.
  if (found === 0) {
    try {
      createGuard(settings);
    } catch (error) {
      problem("guard", (error as Error).message.replace(/^otp-actions: /, ""));
    }
  }
  return config;
}

/** The one rule between two lockout settings, named where the operator set them. */
function checkLockout(document: ConfigDocument, problem: Problem, where: Path, limits: LimitSettingsDocument): void {
  const base = limits.lockout?.baseSeconds;
  const max = limits.lockout?.maxSeconds;
  if (base === undefined && max === undefined) return;
  const baseSeconds = base ?? DEFAULT_LIMITS.lockout.baseSeconds;
  const maxSeconds = max ?? DEFAULT_LIMITS.lockout.maxSeconds;
  if (maxSeconds < baseSeconds)
    problem(
      document.nameOf([...where, "lockout", "maxSeconds"]),
      `must be at least ${document.nameOf([...where, "lockout", "baseSeconds"])} (${baseSeconds})`,
    );
}

function lookup(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}
