/** Outgoing webhooks' counts in the Prometheus text format, read when scraped. */
import { renderSample } from "../../telemetry/prometheus.js";
import type { WebhookStatus } from "./dispatcher.js";

/** The webhook metrics, to append to the service's /metrics. */
export function webhookMetrics(source: { status(): WebhookStatus }): { render(): string } {
  return {
    render: () => {
      const status = source.status();
      return `${[
        renderSample("otp_webhook_events_queued", "Webhook events held: waiting, retrying or in flight.", "gauge", status.queued),
        renderSample(
          "otp_webhook_events_dropped_total",
          "Webhook events dropped because the queue held its maximum.",
          "counter",
          status.dropped,
        ),
        renderSample("otp_webhook_events_delivered_total", "Webhook events a subscriber accepted (2xx).", "counter", status.delivered),
        renderSample(
          "otp_webhook_events_failed_total",
          "Webhook events given up: refused by the subscriber, or out of attempts.",
          "counter",
          status.failed,
        ),
        renderSample("otp_webhook_retries_total", "Webhook attempts that failed and were scheduled again.", "counter", status.retries),
      ].join("\n")}\n`;
    },
  };
}
