/**
 * Alert rules: a count of audit rows over a window above a threshold. One JSON schema checks
 * them wherever they come from (the PUT route; the configuration is checked by the same rules).
 */
import { OtpError } from "../../core/errors.js";

/** What a rule watches. */
export const ALERT_KINDS = ["failed_checks", "lockouts", "delivery_failure_rate", "sms_budget"] as const;
/** One of `ALERT_KINDS`. */
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * One rule. `failed_checks` and `lockouts` fire when the window's count is above `threshold`;
 * `delivery_failure_rate` when the channel's failed share of deliveries (0-1) is above it;
 * `sms_budget` when the channel's sends reach `threshold` (0-1) of `budget`.
 */
export interface AlertRule {
  /** Unique among the rules; names the alert in webhooks and in the firing list. */
  name: string;
  /** What it watches. */
  kind: AlertKind;
  /** The window counted, ending now. */
  windowSeconds: number;
  /** A count (`failed_checks`, `lockouts`) or a fraction (`delivery_failure_rate`, `sms_budget`). */
  threshold: number;
  /** The channel (`delivery_failure_rate`, `sms_budget`). */
  channel?: string;
  /** The channel's budget of sends in the window (`sms_budget`). */
  budget?: number;
}

export const MAX_ALERT_RULES = 50;

/** The JSON schema of one rule. */
export const alertRuleSchema = {
  $id: "AlertRule",
  type: "object",
  description: "A count of audit rows over a window, above a threshold.",
  required: ["name", "kind", "windowSeconds", "threshold"],
  additionalProperties: false,
  properties: {
    name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$" },
    kind: { type: "string", enum: ALERT_KINDS },
    windowSeconds: { type: "integer", minimum: 60, maximum: 86_400 },
    threshold: { type: "number", minimum: 0, maximum: 1_000_000 },
    channel: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$" },
    budget: { type: "integer", minimum: 1, maximum: 100_000_000 },
  },
  examples: [
    { name: "failed-check-spike", kind: "failed_checks", windowSeconds: 300, threshold: 100 },
    { name: "sms-near-budget", kind: "sms_budget", channel: "sms", windowSeconds: 3600, budget: 1000, threshold: 0.8 },
  ],
} as const;

/** The JSON schema of the rule list (GET and PUT /v1/admin/alerts). */
export const alertRulesSchema = {
  $id: "AlertRules",
  type: "object",
  required: ["rules"],
  additionalProperties: false,
  properties: { rules: { type: "array", maxItems: MAX_ALERT_RULES, items: { $ref: "AlertRule#" } } },
  examples: [{ rules: [{ name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 20 }] }],
} as const;

/** The JSON schema of GET and PUT /v1/admin/alerts's answer: the rules in force and where they are kept. */
export const alertRulesInForceSchema = {
  $id: "AlertRulesInForce",
  type: "object",
  required: ["rules", "durable", "source"],
  additionalProperties: false,
  properties: {
    rules: { type: "array", maxItems: MAX_ALERT_RULES, items: { $ref: "AlertRule#" } },
    durable: {
      type: "boolean",
      description:
        "Whether rules saved with PUT outlive a restart and reach every instance on the same storage (a table beside a SQLite or Postgres audit log, or alerts.rulesFile). False: they are kept in this process's memory only.",
    },
    source: {
      type: "string",
      enum: ["configuration", "saved", "memory"],
      description:
        "Where the rules in force come from: the configuration (nothing saved yet), rules an admin saved, or rules an admin set in this process's memory (not durable).",
    },
    updatedAt: { type: "string", format: "date-time", description: "When the saved rules in force were saved." },
  },
  examples: [
    {
      rules: [{ name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 20 }],
      durable: true,
      source: "saved",
      updatedAt: "2026-01-01T12:00:00.000Z",
    },
  ],
} as const;

/**
 * What the schema cannot say: names unique, a channel where the kind needs one, a budget for
 * `sms_budget`, fractions within 0-1. Problems as sentences, for a 400 or a refused start.
 */
export function alertRuleProblems(rules: readonly AlertRule[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const rule of rules) {
    if (names.has(rule.name)) problems.push(`alert rule '${rule.name}' is named twice`);
    names.add(rule.name);
    const perChannel = rule.kind === "delivery_failure_rate" || rule.kind === "sms_budget";
    if (perChannel && rule.channel === undefined) problems.push(`alert rule '${rule.name}' (${rule.kind}) needs a channel`);
    if (perChannel && rule.threshold > 1) problems.push(`alert rule '${rule.name}' (${rule.kind}) takes a threshold from 0 to 1`);
    if (rule.kind === "sms_budget" && rule.budget === undefined) problems.push(`alert rule '${rule.name}' (sms_budget) needs a budget`);
  }
  return problems;
}

/** Rules checked beyond their schema: INVALID_REQUEST naming the first problem. */
export function checkedAlertRules(rules: readonly AlertRule[]): AlertRule[] {
  const problems = alertRuleProblems(rules);
  if (problems.length > 0) throw new OtpError("INVALID_REQUEST", { message: `${problems[0]}.` });
  return rules.map((rule) => ({ ...rule }));
}

/** The JSON schema of GET /v1/admin/alerts/firing. */
export const firingAlertsSchema = {
  $id: "FiringAlerts",
  type: "object",
  required: ["firing"],
  additionalProperties: false,
  properties: {
    firing: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "rule", "value", "since"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          rule: { $ref: "AlertRule#" },
          value: { type: "number", description: "The count, or the fraction, at the last evaluation." },
          since: { type: "string", format: "date-time" },
        },
      },
    },
  },
  examples: [
    {
      firing: [
        {
          name: "lockout-spike",
          rule: { name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 20 },
          value: 31,
          since: "2026-01-01T12:00:00.000Z",
        },
      ],
    },
  ],
} as const;
