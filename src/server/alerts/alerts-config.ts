/**
 * The `alerts` section of the configuration: how often the rules run, the webhook changes are
 * posted to, the rules the service starts with (replaced at run time by an admin), and the file
 * an admin's rules are kept in when the audit log has no database to keep them.
 */
import { resolve } from "node:path";
import { hasCredentials, isSecureHttpUrl } from "../../channels/http-delivery.js";
import { MIN_WEBHOOK_SECRET_CHARS } from "../../channels/webhook.js";
import type { ConfigDocument } from "../config-document.js";
import type { AlertWebhook } from "./alerter.js";
import { alertRuleProblems, alertRuleSchema, type AlertRule } from "./rules.js";

/** The alerts as configured. */
export interface AlertsConfig {
  /** How often the rules are evaluated (OTP_ALERTS_INTERVAL_SECONDS, default 60). */
  intervalSeconds: number;
  /** The rules the service starts with. */
  rules: AlertRule[];
  /** Where changes are posted (OTP_ALERTS_WEBHOOK_URL and OTP_ALERTS_WEBHOOK_SECRET). */
  webhook?: AlertWebhook;
  /** Where an admin's rules are kept, an absolute path (OTP_ALERTS_RULES_FILE); else beside a SQL audit log, or in memory. */
  rulesFile?: string;
}

const { $id: _id, examples: _examples, ...ruleNode } = alertRuleSchema;

/** The section's JSON Schema, for config-schema.ts. */
export const ALERTS_CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  description: "alert rules on the audit log, and the webhook their changes are posted to",
  properties: {
    intervalSeconds: { type: "integer", minimum: 5, maximum: 3600, default: 60, description: "how often the rules are evaluated" },
    webhookUrl: { type: "string", description: "where a firing or resolved alert is posted (https; http only to a loopback host)" },
    webhookSecret: { type: "string", writeOnly: true, description: "signs each post (X-OTP-Signature); 16 characters or more" },
    rules: {
      type: "array",
      maxItems: 50,
      items: ruleNode,
      description: "the rules at start, until an admin saves others with PUT /v1/admin/alerts",
    },
    rulesFile: {
      type: "string",
      minLength: 1,
      description:
        "where the rules an admin saves are kept (written whole, mode 0600); default: a table beside a SQLite or Postgres audit log, else memory only",
    },
  },
};

type Problem = (variable: string, message: string) => void;

/** The section, checked; each problem names its setting. */
export function loadAlertsConfig(document: ConfigDocument, problem: Problem): AlertsConfig {
  const section = ((document.settings as { alerts?: Record<string, unknown> }).alerts ?? {}) as {
    intervalSeconds?: number;
    webhookUrl?: string;
    webhookSecret?: string;
    rules?: AlertRule[];
    rulesFile?: string;
  };
  const name = (key: string) => document.nameOf(["alerts", key]);
  const rules = section.rules ?? [];
  for (const message of alertRuleProblems(rules)) problem(name("rules"), message);
  const config: AlertsConfig = {
    intervalSeconds: section.intervalSeconds ?? 60,
    rules,
    ...(section.rulesFile !== undefined && { rulesFile: resolve(section.rulesFile) }),
  };
  const { webhookUrl: url, webhookSecret: secret } = section;
  if (url === undefined && secret === undefined) return config;
  if (url === undefined || secret === undefined) {
    problem(
      name(url === undefined ? "webhookUrl" : "webhookSecret"),
      `is required with ${name(url === undefined ? "webhookSecret" : "webhookUrl")}`,
    );
    return config;
  }
  if (!URL.canParse(url)) problem(name("webhookUrl"), "must be an absolute URL");
  else if (hasCredentials(new URL(url)))
    problem(name("webhookUrl"), "must not carry a user name or password; the signature authenticates each post");
  else if (!isSecureHttpUrl(new URL(url)))
    problem(name("webhookUrl"), "must be https (http only to a loopback host such as 127.0.0.1 or localhost)");
  if (secret.length < MIN_WEBHOOK_SECRET_CHARS) problem(name("webhookSecret"), `must be at least ${MIN_WEBHOOK_SECRET_CHARS} characters`);
  return { ...config, webhook: { url, secrets: [secret] } };
}
