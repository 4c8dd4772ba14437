/**
 * Delivery channels and abuse limits from the environment. Each channel is configured by its own
 * variables; a half-configured channel is a start-up error that names the missing variable.
 *
 *   OTP_SMTP_URL, OTP_EMAIL_FROM                      → "email" (SMTP, nodemailer)
 *   OTP_TWILIO_ACCOUNT_SID, OTP_TWILIO_AUTH_TOKEN,
 *   OTP_TWILIO_FROM | OTP_TWILIO_MESSAGING_SERVICE_SID → "sms" (Twilio REST)
 *   OTP_WEBHOOK_URL, OTP_WEBHOOK_SECRET               → "webhook" (signed POST)
 *   OTP_APP_NAME, OTP_WEBOTP_DOMAIN                   → message templates
 *   OTP_RATE_LIMITS (on|off), OTP_SMS_COUNTRIES        → the guard
 */
import { isSupportedCountry, type CountryCode } from "libphonenumber-js";

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

export function loadChannelConfig(value: Value, problem: Problem): ChannelConfig {
  const config: ChannelConfig = {};
  const together = (names: string[]): boolean => {
    const present = names.filter((name) => value(name) !== undefined);
    if (present.length === 0) return false;
    for (const name of names) if (value(name) === undefined) problem(name, `is required with ${present.join(", ")}`);
    return present.length === names.length;
  };
  if (together(["OTP_SMTP_URL", "OTP_EMAIL_FROM"])) {
    const url = value("OTP_SMTP_URL")!;
    if (!/^smtps?:\/\//.test(url)) problem("OTP_SMTP_URL", "must be an smtp:// or smtps:// URL");
    config.smtp = { url, from: value("OTP_EMAIL_FROM")! };
  }
  const sender = value("OTP_TWILIO_FROM") ?? value("OTP_TWILIO_MESSAGING_SERVICE_SID");
  if (together(["OTP_TWILIO_ACCOUNT_SID", "OTP_TWILIO_AUTH_TOKEN"])) {
    if (sender === undefined) problem("OTP_TWILIO_FROM", "or OTP_TWILIO_MESSAGING_SERVICE_SID is required with OTP_TWILIO_ACCOUNT_SID");
    const from = value("OTP_TWILIO_FROM");
    const messagingServiceSid = value("OTP_TWILIO_MESSAGING_SERVICE_SID");
    config.twilio = {
      accountSid: value("OTP_TWILIO_ACCOUNT_SID")!,
      authToken: value("OTP_TWILIO_AUTH_TOKEN")!,
      ...(from !== undefined && { from }),
      ...(messagingServiceSid !== undefined && { messagingServiceSid }),
    };
  }
  if (together(["OTP_WEBHOOK_URL", "OTP_WEBHOOK_SECRET"])) {
    const url = value("OTP_WEBHOOK_URL")!;
    if (!URL.canParse(url)) problem("OTP_WEBHOOK_URL", "must be a URL");
    if (value("OTP_WEBHOOK_SECRET")!.length < 16) problem("OTP_WEBHOOK_SECRET", "must be at least 16 characters");
    config.webhook = { url, secret: value("OTP_WEBHOOK_SECRET")! };
  }
  const appName = value("OTP_APP_NAME");
  const webOtpDomain = value("OTP_WEBOTP_DOMAIN");
  if (appName !== undefined) config.appName = appName;
  if (webOtpDomain !== undefined) config.webOtpDomain = webOtpDomain;
  return config;
}

export function loadLimitsConfig(value: Value, problem: Problem): LimitsConfig {
  const raw = value("OTP_RATE_LIMITS") ?? "on";
  if (raw !== "on" && raw !== "off") problem("OTP_RATE_LIMITS", "must be on or off");
  const limits: LimitsConfig = { enabled: raw !== "off" };
  const countries = value("OTP_SMS_COUNTRIES");
  if (countries !== undefined) {
    const codes = countries.split(",").map((code) => code.trim().toUpperCase()).filter(Boolean);
    const unknown = codes.filter((code) => !isSupportedCountry(code));
    if (unknown.length > 0 || codes.length === 0) problem("OTP_SMS_COUNTRIES", `must be ISO 3166 country codes such as US,GB; not ${unknown.join(",") || "empty"}`);
    else limits.smsCountries = codes as CountryCode[];
  }
  return limits;
}
