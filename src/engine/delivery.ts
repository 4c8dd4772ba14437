import { setTimeout as sleep } from "node:timers/promises";
import { DeliveryError, type Channel, type OtpMessage } from "../contracts/channel.js";
import type { DeliveryMedium } from "../contracts/guard.js";
import { OtpError } from "../core/errors.js";
import type { IdentifierKind } from "../core/identifiers.js";
import { withTimeout } from "../core/util/with-timeout.js";
import type { EngineContext } from "./context.js";
import { emit, type EventScope } from "./event-bus.js";
import type { ResolvedDelivery, ResolvedPolicy } from "./options.js";
import type { BoundTransaction } from "./transaction-binding.js";
import type { Generated, Metadata } from "./types.js";

/**
 * The channel named, else the default channel, else the one named after the identifier's kind,
 * provided it delivers to that kind; else any channel that does. An address is never handed to
 * a channel of the other kind (an email address to an SMS provider).
 */
export function channelFor(ctx: EngineContext, name: string | undefined, kind: IdentifierKind | undefined): Channel {
  if (name !== undefined) {
    const named = ctx.channels.get(name);
    if (!named) throw new OtpError("INVALID_REQUEST", { message: `No channel named '${name}' is configured.` });
    return named;
  }
  const preferred = ctx.channels.get(ctx.defaultChannel ?? (kind === "email" ? "email" : "sms"));
  const channel = preferred && deliversTo(preferred, kind) ? preferred : anyChannelFor(ctx, kind);
  if (!channel)
    throw new OtpError("INVALID_REQUEST", {
      message: `No configured channel delivers to ${kind === "email" ? "an email address" : "a phone number"}.`,
    });
  return channel;
}

function anyChannelFor(ctx: EngineContext, kind: IdentifierKind | undefined): Channel | undefined {
  for (const channel of ctx.channels.values()) if (deliversTo(channel, kind)) return channel;
  return undefined;
}

function deliversTo(channel: Channel, kind: IdentifierKind | undefined): boolean {
  return channel.accepts === "any" || channel.accepts === kind;
}

/** The identifier kind a channel name implies, when it implies one. */
export function kindOf(ctx: EngineContext, channel: string): IdentifierKind | undefined {
  const configured = ctx.channels.get(channel);
  if (configured && configured.accepts !== "any") return configured.accepts;
  if (configured?.medium === "email") return "email";
  if (configured?.medium === "sms" || configured?.medium === "voice") return "phone";
  if (channel === "email") return "email";
  return channel === "sms" || channel === "voice" ? "phone" : undefined;
}

/**
 * What a send does, for the guard: a phone number handed to anything but an email channel is
 * taken as a text (or a call, when the channel says "voice"), whatever the channel is called.
 */
export function mediumOf(ctx: EngineContext, channel: string, kind: IdentifierKind): DeliveryMedium {
  const configured = ctx.channels.get(channel);
  if (configured?.medium !== undefined) return configured.medium;
  if (configured?.accepts === "email") return "email";
  return kind === "phone" ? "sms" : "email";
}

/** `base`: the scope the code was issued under, which the delivery events share. */
export async function deliver(
  ctx: EngineContext,
  channel: Channel,
  generated: Generated,
  base: EventScope,
  policy: ResolvedPolicy,
  decoy: boolean,
  locale: string | undefined,
  metadata: Metadata | undefined,
  transaction?: BoundTransaction,
): Promise<void> {
  // A decoy with synchronous delivery answers at once (the caller chose to wait for the channel,
  // which no decoy has); with asynchronous delivery it takes the very same steps as a real send
  // up to the answer, and only after it does nothing.
  if (decoy && !policy.asyncDelivery) return;
  const message = {
    id: generated.id,
    to: generated.identifier,
    code: generated.code,
    purpose: generated.purpose,
    codeExpiresAt: generated.expiresAt,
    ...(typeof locale === "string" && { locale }),
    ...(metadata !== undefined && { metadata }),
    ...(transaction !== undefined && { transaction: transaction.transaction }),
  };
  // Asynchronous delivery starts after the answer, so a real send returns after the same work as
  // a decoy (whatever a channel renders, signs or connects happens later for both).
  const deferred = policy.asyncDelivery ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve();
  const attempt = deferred
    .then(() => (decoy ? undefined : deliverWithRetry(channel, message, ctx.delivery)))
    .then(
      () => {
        if (!decoy) emit(ctx, "delivered", base, { id: generated.id });
      },
      async (cause: unknown) => {
        // With shouldSend the answer must be a decoy's, whose delivery never fails: a refusal (or
        // a revoked entry answering CANCELED) would tell a real account from an unknown one. The
        // entry then stays pending until it expires, answering checks as a decoy does; the event
        // tells the operator. Otherwise nothing stays pending after a failed delivery: the user
        // asks again.
        const answerAsDecoy = ctx.shouldSend !== undefined;
        if (!answerAsDecoy) await ctx.store.revoke(generated.id).catch(() => undefined);
        emit(ctx, "delivery_failed", base, { id: generated.id, reason: "DELIVERY_FAILED" });
        if (!answerAsDecoy) throw new OtpError("DELIVERY_FAILED", { cause });
      },
    );
  // Tracked even when the caller awaits it: a request cut short by a shutdown leaves its
  // delivery running, and close() must wait for it so its outcome is still recorded.
  const tracked = attempt.catch(() => undefined).finally(() => ctx.inFlight.delete(tracked));
  ctx.inFlight.add(tracked);
  if (!policy.asyncDelivery) return attempt;
}

/**
 * Delivers through a channel with a timeout per attempt and exponential back-off between
 * attempts. Rejects with the last failure once retries are spent or a failure is permanent.
 */
export async function deliverWithRetry(channel: Channel, message: OtpMessage, policy: ResolvedDelivery): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await sleep(policy.retryDelayMs * 2 ** (attempt - 1));
    try {
      await deliverOnce(channel, message, policy.timeoutMs);
      return;
    } catch (error) {
      lastError = error;
      if (error instanceof DeliveryError && !error.retryable) break;
    }
  }
  throw lastError;
}

/** One attempt, bounded by `timeoutMs`: when it passes, the channel's signal is aborted. */
async function deliverOnce(channel: Channel, message: OtpMessage, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  await withTimeout(
    () => channel.deliver(message, { signal: controller.signal }),
    timeoutMs,
    "delivery",
    () => {
      controller.abort();
      return new DeliveryError(`channel '${channel.name}' timed out after ${timeoutMs} ms`);
    },
  );
}
