/** The `webhooks` section as the service runs it: checked subscriptions and the queue's bounds. */
import { join } from "node:path";
import type { ConfigDocument } from "../config-document.js";
import { WEBHOOK_DEFAULTS } from "./config-schema.js";
import { checkedSubscription, type SubscriptionSettings, type WebhookSubscription } from "./subscription.js";

/** The `webhooks` section once the schema accepted it. */
export interface WebhooksSettingsDocument extends SubscriptionSettings {
  subscriptions?: SubscriptionSettings[];
  maxQueued?: number;
  concurrency?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  spoolFile?: string;
}

/** Outgoing webhooks as configured; no subscriptions means none are sent. */
export interface WebhooksConfig {
  subscriptions: WebhookSubscription[];
  maxQueued: number;
  concurrency: number;
  maxAttempts: number;
  timeoutMs: number;
  spoolFile: string;
}

/** Checks every subscription (the file's list, then the environment's one) and reports each problem where it was set. */
export function loadWebhooksConfig(
  document: ConfigDocument,
  dataDir: string,
  problem: (variable: string, message: string) => void,
): WebhooksConfig {
  const section = ((document.settings as { webhooks?: WebhooksSettingsDocument }).webhooks ?? {}) as WebhooksSettingsDocument;
  const { subscriptions: listed = [], maxQueued, concurrency, maxAttempts, timeoutMs, spoolFile, ...single } = section;
  const given: Array<{ path: string[]; settings: SubscriptionSettings }> = listed.map((settings, index) => ({
    path: ["webhooks", "subscriptions", String(index)],
    settings,
  }));
  if (Object.keys(single).length > 0) given.push({ path: ["webhooks"], settings: single });
  const subscriptions: WebhookSubscription[] = [];
  const urls = new Set<string>();
  for (const { path, settings } of given) {
    const checked = checkedSubscription(settings);
    if ("problems" in checked) {
      for (const { key, problem: message } of checked.problems) problem(document.nameOf([...path, key]), message);
      continue;
    }
    // The spool names a job's subscription by its URL: two with one URL could not be told apart.
    if (urls.has(checked.subscription.url.href)) {
      problem(document.nameOf([...path, "url"]), "is the url of another subscription; list its events in one");
      continue;
    }
    urls.add(checked.subscription.url.href);
    subscriptions.push(checked.subscription);
  }
  return {
    subscriptions,
    maxQueued: maxQueued ?? WEBHOOK_DEFAULTS.maxQueued,
    concurrency: concurrency ?? WEBHOOK_DEFAULTS.concurrency,
    maxAttempts: maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts,
    timeoutMs: timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
    spoolFile: spoolFile ?? join(dataDir, "webhook-spool.json"),
  };
}
