/**
 * Delivery channels and abuse limits from the environment. Each channel is configured by its own
 * variables; a half-configured channel is a start-up error that names the missing variable, and
 * each value is checked by the rule its channel applies, so no channel fails to build at start.
 *
 *   OTP_SMTP_URL, OTP_EMAIL_FROM                      → "email" (SMTP, nodemailer)
 *   OTP_TWILIO_ACCOUNT_SID, OTP_TWILIO_AUTH_TOKEN,
 *   OTP_TWILIO_FROM | OTP_TWILIO_MESSAGING_SERVICE_SID → "sms" (Twilio REST)
 *   OTP_WEBHOOK_URL, OTP_WEBHOOK_SECRET               → "webhook" (signed POST)
 *   OTP_APP_NAME, OTP_WEBOTP_DOMAIN                   → message templates
 *   OTP_RATE_LIMITS (on|off), OTP_SMS_COUNTRIES        → the guard
 */
import { isSupportedCountry, type CountryCode } from "libphonenumber-js";
import { hasCredentials, isSecureHttpUrl } from "../channels/http-delivery.js";
import { isAppName, isHostName } from "../channels/templates.js";
import { isTwilioAccountSid, isTwilioMessagingServiceSid } from "../channels/twilio.js";
import { MIN_WEBHOOK_SECRET_CHARS } from "../channels/webhook.js";

export interface ChannelConfig {
  smtp?: { url: string; from: string };
  twilio?: { accountSid: string; authToken: string; from?: string; messagingServiceSid?: string };
  webhook?: { url: string; secret: string };
  appName?: string;
  webOtpDomain?: string;
}

export interface LimitsConfig {
  enabled: boolean;
  smsCountries?: CountryCode[];
}

type Value = (name: string) => string | undefined;
type Problem = (variable: string, message: string) => void;

const TWILIO_CREDENTIALS = ["OTP_TWILIO_ACCOUNT_SID", "OTP_TWILIO_AUTH_TOKEN"];
const TWILIO_SENDERS = ["OTP_TWILIO_FROM", "OTP_TWILIO_MESSAGING_SERVICE_SID"];

export function loadChannelConfig(value: Value, problem: Problem): ChannelConfig {
  const config: ChannelConfig = {};
  const smtp = smtpConfig(value, problem);
  const twilio = twilioConfig(value, problem);
  const webhook = webhookConfig(value, problem);
  if (smtp) config.smtp = smtp;
  if (twilio) config.twilio = twilio;
  if (webhook) config.webhook = webhook;
  const appName = value("OTP_APP_NAME");
  const webOtpDomain = value("OTP_WEBOTP_DOMAIN");
  if (appName !== undefined && !isAppName(appName)) problem("OTP_APP_NAME", "must be 1-100 characters without control characters");
  if (webOtpDomain !== undefined && !isHostName(webOtpDomain))
    problem("OTP_WEBOTP_DOMAIN", "must be a host name such as example.com (no scheme, port or path)");
  if (appName !== undefined) config.appName = appName;
  if (webOtpDomain !== undefined) config.webOtpDomain = webOtpDomain;
  return config;
}

/**
 * One channel's variables: none set is no channel; any set makes each of `required` a must.
 * `optional` ones count as "set" too, so a lone one is reported rather than ignored.
 */
function together(value: Value, problem: Problem, required: readonly string[], optional: readonly string[] = []): boolean {
  const present = [...required, ...optional].filter((name) => value(name) !== undefined);
  if (present.length === 0) return false;
  const missing = required.filter((name) => value(name) === undefined);
  for (const name of missing) problem(name, `is required with ${present.join(", ")}`);
  return missing.length === 0;
}

function smtpConfig(value: Value, problem: Problem): ChannelConfig["smtp"] {
  if (!together(value, problem, ["OTP_SMTP_URL", "OTP_EMAIL_FROM"])) return undefined;
  const url = value("OTP_SMTP_URL")!;
  if (!/^smtps?:\/\//.test(url)) problem("OTP_SMTP_URL", "must be an smtp:// or smtps:// URL");
  return { url, from: value("OTP_EMAIL_FROM")! };
}

/** The rules twilioSmsChannel applies when the service builds it, checked here so each names its variable. */
function twilioConfig(value: Value, problem: Problem): ChannelConfig["twilio"] {
  if (!together(value, problem, TWILIO_CREDENTIALS, TWILIO_SENDERS)) return undefined;
  const from = value("OTP_TWILIO_FROM");
  const messagingServiceSid = value("OTP_TWILIO_MESSAGING_SERVICE_SID");
  if (from === undefined && messagingServiceSid === undefined) {
    problem("OTP_TWILIO_FROM", "or OTP_TWILIO_MESSAGING_SERVICE_SID is required with OTP_TWILIO_ACCOUNT_SID");
    return undefined;
  }
  if (from !== undefined && messagingServiceSid !== undefined) {
    problem("OTP_TWILIO_FROM", "and OTP_TWILIO_MESSAGING_SERVICE_SID are both set; set one: a sender number or id, or a Messaging Service");
  }
  const accountSid = value("OTP_TWILIO_ACCOUNT_SID")!;
  if (!isTwilioAccountSid(accountSid))
    problem("OTP_TWILIO_ACCOUNT_SID", "must be AC followed by 32 letters and digits, as the Twilio console shows it");
  if (messagingServiceSid !== undefined && !isTwilioMessagingServiceSid(messagingServiceSid)) {
    problem("OTP_TWILIO_MESSAGING_SERVICE_SID", "must be MG followed by 32 letters and digits, as the Twilio console shows it");
  }
  return {
    accountSid,
    authToken: value("OTP_TWILIO_AUTH_TOKEN")!,
    ...(from !== undefined && { from }),
    ...(messagingServiceSid !== undefined && { messagingServiceSid }),
  };
}

/** The rules webhookChannel applies when the service builds it (the service never allows insecure http). */
function webhookConfig(value: Value, problem: Problem): ChannelConfig["webhook"] {
  if (!together(value, problem, ["OTP_WEBHOOK_URL", "OTP_WEBHOOK_SECRET"])) return undefined;
  const url = value("OTP_WEBHOOK_URL")!;
  const secret = value("OTP_WEBHOOK_SECRET")!;
  if (!URL.canParse(url)) problem("OTP_WEBHOOK_URL", "must be an absolute URL");
  else if (hasCredentials(new URL(url)))
    problem("OTP_WEBHOOK_URL", "must not carry a user name or password; the signature (OTP_WEBHOOK_SECRET) authenticates each request");
  // The payload holds the code: plain http only where nobody on the network can read it.
  else if (!isSecureHttpUrl(new URL(url)))
    problem("OTP_WEBHOOK_URL", "must be https (http only to a loopback host such as 127.0.0.1 or localhost)");
  if (secret.length < MIN_WEBHOOK_SECRET_CHARS) problem("OTP_WEBHOOK_SECRET", `must be at least ${MIN_WEBHOOK_SECRET_CHARS} characters`);
  return { url, secret };
}

export function loadLimitsConfig(value: Value, problem: Problem): LimitsConfig {
  const raw = value("OTP_RATE_LIMITS") ?? "on";
  if (raw !== "on" && raw !== "off") problem("OTP_RATE_LIMITS", "must be on or off");
  const limits: LimitsConfig = { enabled: raw !== "off" };
  const countries = value("OTP_SMS_COUNTRIES");
  if (countries !== undefined) {
    const codes = countries
      .split(",")
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean);
    const unknown = codes.filter((code) => !isSupportedCountry(code));
    if (unknown.length > 0 || codes.length === 0)
      problem("OTP_SMS_COUNTRIES", `must be ISO 3166 country codes such as US,GB; not ${unknown.join(",") || "empty"}`);
    else limits.smsCountries = codes as CountryCode[];
  }
  return limits;
}
