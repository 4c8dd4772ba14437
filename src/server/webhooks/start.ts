/** Outgoing webhooks in the service: the dispatcher, fed from the engine's events, with its spool. */
import type { Otp } from "../../engine/types.js";
import type { WebhooksConfig } from "./config.js";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "./dispatcher.js";
import { WEBHOOK_SOURCE_EVENTS } from "./event-types.js";
import { fileSpool } from "./spool.js";

/** Running webhooks: their counts, and the shutdown that drains and spools. */
export interface RunningWebhooks {
  readonly dispatcher: WebhookDispatcher;
  /** Stops taking events, drains until `deadlineMs` from now, spools the rest. */
  close(deadlineMs: number): Promise<void>;
}

/**
 * Sends first what the last shutdown spooled, then subscribes to the engine. Undefined when no
 * subscription is configured.
 */
export async function startWebhooks(
  otp: Otp,
  config: WebhooksConfig,
  log: NonNullable<WebhookDispatcherOptions["log"]>,
): Promise<RunningWebhooks | undefined> {
  if (config.subscriptions.length === 0) return undefined;
  const dispatcher = new WebhookDispatcher({ ...config, spool: fileSpool(config.spoolFile), log });
  await dispatcher.restore();
  const unsubscribers = WEBHOOK_SOURCE_EVENTS.map((type) => otp.on(type, dispatcher.publish));
  return {
    dispatcher,
    close: async (deadlineMs) => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      await dispatcher.close(deadlineMs);
    },
  };
}
