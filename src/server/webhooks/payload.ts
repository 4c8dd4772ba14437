/**
 * What a receiver gets for one event: `{ id, type, createdAt, data }` as JSON. The id is a UUIDv7
 * made once per event and kept through retries and restarts, so a receiver de-duplicates on it.
 * The identifier is masked and keyed-hashed; in clear only for a subscription that asks for it.
 */
import type { OtpEvent } from "../../contracts/events.js";
import { timeOrderedId } from "../../audit/event-id.js";
import type { WebhookEventType } from "./event-types.js";

/** A body above this is sent without its metadata (the one field whose size the caller chooses). */
export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024;

/** The body of one webhook request. */
export interface WebhookEventPayload {
  /** Unique per event; the same on every retry of it: de-duplicate on this. */
  id: string;
  /** What happened. */
  type: WebhookEventType;
  /** When it happened, ISO 8601. */
  createdAt: string;
  /** The verification it happened to. */
  data: WebhookEventData;
}

/** The verification an event is about, as far as the event knows it (null where it does not). */
export interface WebhookEventData {
  /** The verification id. */
  verificationId: string;
  /** Its purpose. */
  purpose: string | null;
  /** The channel that delivers its codes. */
  channel: string | null;
  /** `masked` for display, `hash` (keyed) for lookups; `value` only for subscriptions that include it. */
  identifier: { masked: string | null; hash: string | null; value?: string };
  /** Checks used after the event. */
  attempts: number | null;
  /** Checks allowed. */
  maxAttempts: number | null;
  /** The error code of a failure (verification.failed, verification.delivery_failed). */
  reason: string | null;
  /** Which limit locked the identifier out (verification.locked_out). */
  limit: string | null;
  /** Seconds until the lockout ends (verification.locked_out). */
  retryAfterSeconds: number | null;
  /** The metadata the verification was started with (verification.started), else null. */
  metadata: Record<string, unknown> | null;
  /** The caller's IP and user agent, when the operation had them. */
  client: { ip: string | null; userAgent: string | null };
  /** The trace or request id of the operation. */
  traceId: string | null;
}

/** A new event id: time-ordered, so a receiver's index on it grows at one end. */
export function webhookEventId(event: OtpEvent): string {
  return timeOrderedId(event.at);
}

/** One event's body as sent; `identifier` is the clear value to include, if any. */
export function webhookBody(
  event: OtpEvent & { id: string },
  type: WebhookEventType,
  eventId: string,
  identifier: string | undefined,
): string {
  const payload: WebhookEventPayload = {
    id: eventId,
    type,
    createdAt: new Date(event.at).toISOString(),
    data: {
      verificationId: event.id,
      purpose: event.purpose ?? null,
      channel: event.channel ?? null,
      identifier: {
        masked: event.identifier ?? null,
        hash: event.identifierHash ?? null,
        ...(identifier !== undefined && { value: identifier }),
      },
      attempts: event.attempts ?? null,
      maxAttempts: event.maxAttempts ?? null,
      reason: event.reason ?? null,
      limit: event.limit ?? null,
      retryAfterSeconds: event.retryAfterSeconds ?? null,
      metadata: event.metadata ?? null,
      client: { ip: event.client?.ip ?? null, userAgent: event.client?.userAgent ?? null },
      traceId: event.traceId ?? null,
    },
  };
  const body = JSON.stringify(payload);
  // Metadata is bounded where it comes in; this keeps the bound here whatever that one becomes.
  if (Buffer.byteLength(body) <= MAX_WEBHOOK_BODY_BYTES) return body;
  return JSON.stringify({ ...payload, data: { ...payload.data, metadata: null } });
}
