/**
 * The event types outgoing webhooks carry, and which engine event each comes from. A subscription
 * names the types it wants, or a family with `.*`: `verification.*` for one-time codes, `factor.*` for
 * authenticator apps.
 */
import type { OtpEvent, OtpEventType } from "../../contracts/events.js";
import { TOTP_PURPOSE } from "../../engine/totp/factor-check.js";

/** The lifecycle events a subscription may name today. */
export const WEBHOOK_EVENT_TYPES = [
  "verification.started",
  "verification.approved",
  "verification.failed",
  "verification.locked_out",
  "verification.delivery_failed",
  "factor.enrolled",
  "factor.confirmed",
  "factor.verified",
  "factor.failed",
  "factor.locked_out",
  "factor.recovery_codes_generated",
  "factor.recovery_code_used",
] as const;

/** One of `WEBHOOK_EVENT_TYPES`. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The engine events that become webhook events. `exhausted` is left out: the `failed` event of the
 * same check already carries attempts = maxAttempts. `delivered`, `revoked`, `validation_attempt`
 * and `rate_limited` are not lifecycle events of the list above.
 */
const FROM_ENGINE: Partial<Record<OtpEventType, WebhookEventType>> = {
  generated: "verification.started",
  succeeded: "verification.approved",
  failed: "verification.failed",
  locked_out: "verification.locked_out",
  delivery_failed: "verification.delivery_failed",
  factor_enrolled: "factor.enrolled",
  factor_confirmed: "factor.confirmed",
  factor_verified: "factor.verified",
  factor_failed: "factor.failed",
  recovery_codes_generated: "factor.recovery_codes_generated",
  recovery_code_used: "factor.recovery_code_used",
};

/** The engine events a webhook subscriber listens to. */
export const WEBHOOK_SOURCE_EVENTS = Object.keys(FROM_ENGINE) as OtpEventType[];

/**
 * The webhook event type of an engine event, or undefined when webhooks do not carry it. A lockout
 * is a factor's when the authenticator-app checks started it (they lock under their own purpose).
 */
export function webhookTypeOf(event: Pick<OtpEvent, "type" | "purpose">): WebhookEventType | undefined {
  if (event.type === "locked_out" && event.purpose === TOTP_PURPOSE) return "factor.locked_out";
  return FROM_ENGINE[event.type];
}

/** What a subscription's `events` entries may be: a type, a family (`verification.*`, `factor.*`), or `*`. */
const EVENT_PATTERN =
  /^(\*|verification\.\*|factor\.\*|factor\.[a-z][a-z0-9_]{0,63}|verification\.(started|approved|failed|locked_out|delivery_failed))$/;

/** True when `pattern` is something a subscription may list. */
export function isEventPattern(pattern: string): boolean {
  return EVENT_PATTERN.test(pattern);
}

/** True when an event of `type` goes to a subscription that lists `patterns`. */
export function matchesEvent(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) {
    if (pattern === "*" || pattern === type) return true;
    if (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))) return true;
  }
  return false;
}
