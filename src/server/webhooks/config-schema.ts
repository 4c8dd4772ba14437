/**
 * The `webhooks` section of the configuration's JSON Schema: subscriptions (a list in the file,
 * and one more from the environment's OTP_EVENT_WEBHOOK_* variables) and the queue's bounds.
 */
import { MIN_WEBHOOK_SECRET_CHARS } from "../../channels/webhook.js";

/** Defaults of the queue, shared by the schema and the loader. */
export const WEBHOOK_DEFAULTS = { maxQueued: 10_000, concurrency: 8, maxAttempts: 10, timeoutMs: 5000 } as const;

/** A subscription's own keys: where, the secret, which events, whether with the identifier. */
const SUBSCRIPTION_PROPERTIES = {
  url: { type: "string", description: "where events are POSTed: https, or http to a loopback host; redirects are not followed" },
  secret: {
    type: ["string", "array"],
    items: { type: "string" },
    minItems: 1,
    writeOnly: true,
    description: `signs each request (the webhook channel's X-OTP-Signature scheme), ${MIN_WEBHOOK_SECRET_CHARS} characters or more; a list while rotating`,
  },
  events: {
    type: "array",
    minItems: 1,
    // The names are checked by the loader (event-types.ts), which names the variable that set them.
    items: { type: "string" },
    description: "the event types it gets (docs/webhooks.md): types, families such as `verification.*` and `factor.*`, or `*`",
  },
  includeIdentifier: {
    type: "boolean",
    default: false,
    description: "send the identifier in clear (`data.identifier.value`); otherwise masked and as a keyed hash only",
  },
  allowInsecureHttp: { type: "boolean", default: false, description: "permit plain http to a host other than loopback" },
};

function integer(minimum: number, maximum: number, description: string, defaultValue: number): Record<string, unknown> {
  return { type: "integer", minimum, maximum, description, default: defaultValue };
}

/** The schema node of `webhooks`. */
export const WEBHOOKS_SCHEMA = {
  type: "object",
  additionalProperties: false,
  description: "outgoing webhooks: signed events about verifications, sent at least once (docs/webhooks.md)",
  properties: {
    subscriptions: {
      type: "array",
      description: "each a url, a secret, the events it gets and whether with the identifier in clear",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["url", "secret", "events"],
        properties: SUBSCRIPTION_PROPERTIES,
        description: "one subscription",
      },
    },
    ...SUBSCRIPTION_PROPERTIES,
    maxQueued: integer(
      10,
      1_000_000,
      "events held in memory at most, waiting or retrying; beyond it new ones are dropped and counted",
      WEBHOOK_DEFAULTS.maxQueued,
    ),
    concurrency: integer(1, 256, "requests in flight at most (one per verification and subscriber)", WEBHOOK_DEFAULTS.concurrency),
    maxAttempts: integer(1, 100, "attempts per event before it is given up and counted as failed", WEBHOOK_DEFAULTS.maxAttempts),
    timeoutMs: integer(100, 60_000, "one attempt's time limit, the answer included", WEBHOOK_DEFAULTS.timeoutMs),
    spoolFile: {
      type: "string",
      description: "where events still pending at shutdown are kept for the next start; default `<dataDir>/webhook-spool.json`",
    },
  },
};
