/** One outgoing webhook subscription, as the service runs it once its configuration was checked. */
import { checkedEndpointUrl } from "../../channels/http-delivery.js";
import { MIN_WEBHOOK_SECRET_CHARS } from "../../channels/webhook.js";
import { isEventPattern } from "./event-types.js";

/** Where events go, signed with which secret(s), which events, and whether with the identifier. */
export interface WebhookSubscription {
  /** The one address requests go to: never another (no redirects are followed). */
  readonly url: URL;
  /** Signs every request (one `v1=` per secret while rotating); never logged. */
  readonly secrets: readonly string[];
  /** Event types and families (`verification.*`, `factor.*`, `*`). */
  readonly events: readonly string[];
  /** Whether `data.identifier.value` carries the identifier in clear. Default false. */
  readonly includeIdentifier: boolean;
}

/** A subscription as the configuration gives it. */
export interface SubscriptionSettings {
  url?: string;
  secret?: string | string[];
  events?: string[];
  includeIdentifier?: boolean;
  allowInsecureHttp?: boolean;
}

/** A checked subscription, or the problems with one (each with the key it is about, and no secret in it). */
export function checkedSubscription(
  settings: SubscriptionSettings,
): { subscription: WebhookSubscription } | { problems: Array<{ key: string; problem: string }> } {
  const problems: Array<{ key: string; problem: string }> = [];
  let url: URL | undefined;
  if (settings.url === undefined) problems.push({ key: "url", problem: "is required" });
  else {
    try {
      url = checkedEndpointUrl(settings.url, "the url", { allowInsecureHttp: settings.allowInsecureHttp === true });
    } catch (error) {
      problems.push({ key: "url", problem: (error as Error).message.replace(/^otp-actions: the url /, "") });
    }
  }
  const secrets = settings.secret === undefined ? [] : typeof settings.secret === "string" ? [settings.secret] : settings.secret;
  if (secrets.length === 0) problems.push({ key: "secret", problem: "is required" });
  else if (!secrets.every((secret) => secret.length >= MIN_WEBHOOK_SECRET_CHARS))
    problems.push({ key: "secret", problem: `must be at least ${MIN_WEBHOOK_SECRET_CHARS} characters` });
  const events = settings.events ?? [];
  if (events.length === 0)
    problems.push({ key: "events", problem: "is required: the event types to send, or verification.* / factor.* / *" });
  const unknown = events.filter((pattern) => !isEventPattern(pattern));
  if (unknown.length > 0)
    problems.push({
      key: "events",
      problem: `must list event types: verification.started, .approved, .failed, .locked_out, .delivery_failed, verification.*, factor.* or *; got ${unknown.slice(0, 3).join(", ").slice(0, 120)}`,
    });
  if (problems.length > 0 || url === undefined) return { problems };
  return { subscription: { url, secrets, events, includeIdentifier: settings.includeIdentifier === true } };
}
