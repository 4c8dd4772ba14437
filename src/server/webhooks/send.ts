/**
 * One attempt to deliver one event: a signed POST to the subscription's URL, bounded in time,
 * without following redirects, its answer's body never read. The outcome says whether to retry.
 */
import { deliveryRequest, discardBody, isRetryableStatus } from "../../channels/http-delivery.js";
import { WEBHOOK_SIGNATURE_HEADER, signWebhookPayload } from "../../channels/webhook-signature.js";
import { VERSION } from "../version.js";
import type { WebhookSubscription } from "./subscription.js";

/** Headers beside the signature: which event, for receivers that route before parsing. */
export const WEBHOOK_EVENT_ID_HEADER = "X-OTP-Event-Id";
/** The event's type, as in the body. */
export const WEBHOOK_EVENT_TYPE_HEADER = "X-OTP-Event-Type";

/** What one attempt came to. */
export type SendOutcome =
  | { kind: "delivered"; status: number }
  /** A network error, a timeout, 408, 429 or 5xx; `retryAfterMs` when the answer said when. */
  | { kind: "retry"; status?: number; retryAfterMs?: number }
  /** Any other answer (4xx, a redirect): sending it again would not help. */
  | { kind: "rejected"; status: number };

/** One event to one subscription, as queued and spooled: its body never changes between attempts. */
export interface WebhookJob {
  eventId: string;
  type: string;
  /** Events with the same key go out in order: the subscription and the verification. */
  key: string;
  body: string;
  /** Attempts made so far. */
  attempts: number;
}

export async function sendWebhook(
  subscription: WebhookSubscription,
  job: WebhookJob,
  options: { timeoutMs: number; signal: AbortSignal; nowMs: number },
): Promise<SendOutcome> {
  // Signed at each attempt: receivers refuse a timestamp older than their tolerance, and a retry
  // may come minutes after the first attempt.
  const signature = signWebhookPayload(subscription.secrets, job.body, Math.floor(options.nowMs / 1000));
  // One controller per attempt, ended by its timer or by the dispatcher's shutdown; not
  // AbortSignal.any, whose signals stay attached to the long-lived shutdown signal.
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(), options.timeoutMs);
  const stop = () => attempt.abort();
  options.signal.addEventListener("abort", stop, { once: true });
  try {
    return await attemptOnce(subscription, job, signature, attempt.signal, options.nowMs);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", stop);
  }
}

async function attemptOnce(
  subscription: WebhookSubscription,
  job: WebhookJob,
  signature: string,
  signal: AbortSignal,
  nowMs: number,
): Promise<SendOutcome> {
  let response: Response;
  try {
    response = await deliveryRequest("webhook subscriber", subscription.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": `otp-actions/${VERSION}`,
        [WEBHOOK_SIGNATURE_HEADER]: signature,
        [WEBHOOK_EVENT_ID_HEADER]: job.eventId,
        [WEBHOOK_EVENT_TYPE_HEADER]: job.type,
      },
      body: job.body,
      signal,
    });
  } catch {
    return { kind: "retry" };
  }
  await discardBody(response);
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (!isRetryableStatus(status)) return { kind: "rejected", status };
  const retryAfterMs = retryAfterOf(response.headers.get("retry-after"), nowMs);
  return { kind: "retry", status, ...(retryAfterMs !== undefined && { retryAfterMs }) };
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterOf(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
