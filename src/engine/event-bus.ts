import diagnostics_channel from "node:diagnostics_channel";
import {
  DIAGNOSTICS_CHANNEL_PREFIX,
  EVENT_TYPES,
  type ClientInfo,
  type OtpEvent,
  type OtpEventListener,
  type OtpEventType,
} from "../contracts/events.js";
import { maskIdentifier } from "../core/identifiers.js";
import type { Keyring } from "../core/keyring.js";
import type { TokenClaims } from "../core/token.js";
import type { Clock } from "./options.js";

/**
 * Dispatches engine events to listeners and to diagnostics channels. A listener that throws or
 * rejects is reported to `onListenerError` and never affects the operation that emitted.
 */
export class OtpEvents {
  readonly #listeners = new Map<OtpEventType | "*", Set<OtpEventListener>>();
  readonly #channels = new Map(EVENT_TYPES.map((type) => [type, diagnostics_channel.channel(DIAGNOSTICS_CHANNEL_PREFIX + type)]));
  readonly #onListenerError: (error: unknown, event: OtpEvent) => void;

  constructor(onListenerError: (error: unknown, event: OtpEvent) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes to one type, or to every type with "*". Returns the unsubscribe function. */
  on(type: OtpEventType | "*", listener: OtpEventListener): () => void {
    if (type !== "*" && !EVENT_TYPES.includes(type)) throw new TypeError(`otp-actions: unknown event type '${String(type)}'`);
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** True when a listener or a diagnostics channel subscriber would receive this type. */
  wants(type: OtpEventType): boolean {
    return (
      (this.#listeners.get(type)?.size ?? 0) > 0 ||
      (this.#listeners.get("*")?.size ?? 0) > 0 ||
      this.#channels.get(type)?.hasSubscribers === true
    );
  }

  /** True when anything at all is listening. */
  wantsAny(): boolean {
    for (const set of this.#listeners.values()) if (set.size > 0) return true;
    for (const channel of this.#channels.values()) if (channel.hasSubscribers) return true;
    return false;
  }

  emit(event: OtpEvent): void {
    const channel = this.#channels.get(event.type);
    if (channel?.hasSubscribers) {
      try {
        channel.publish(event);
      } catch (error) {
        this.#report(error, event);
      }
    }
    // No closure or array per event: this runs several times in every check.
    this.#call(this.#listeners.get(event.type), event);
    this.#call(this.#listeners.get("*"), event);
  }

  #call(listeners: Set<OtpEventListener> | undefined, event: OtpEvent): void {
    if (listeners === undefined) return;
    // At most as many calls as there were listeners when the event came: a listener added during
    // dispatch (one that subscribes itself again, say) waits for the next event, so dispatch ends.
    let remaining = listeners.size;
    for (const listener of listeners) {
      if (remaining-- === 0) break;
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.#report(error, event));
      } catch (error) {
        this.#report(error, event);
      }
    }
  }

  /** The error hook, which must not turn a listener's failure into the operation's (or the process's). */
  #report(error: unknown, event: OtpEvent): void {
    try {
      this.#onListenerError(error, event);
    } catch {
      // Nowhere left to report to.
    }
  }
}

export type EventFields = Omit<OtpEvent, "type" | "at">;

/**
 * The identifier in clear, beside an event rather than in it: listeners and diagnostics channels
 * never see it, and only a subscriber inside the process that asks (outgoing webhooks configured
 * to carry it) can read it.
 */
const clearIdentifiers = new WeakMap<object, string>();

/** Fields whose events will offer `identifier` in clear to `clearIdentifierOf`. */
export function withClearIdentifier(fields: EventFields, identifier: string): EventFields {
  clearIdentifiers.set(fields, identifier);
  return fields;
}

/** The normalised identifier an event is about, in clear, when its operation knew it. */
export function clearIdentifierOf(event: OtpEvent): string | undefined {
  return clearIdentifiers.get(event);
}
/** The fields every event of one operation shares, built on the first event that is wanted. */
export type EventScope = () => EventFields;

/** What emitting needs of the engine: its bus and its clock. */
export interface EventSink {
  readonly events: OtpEvents;
  readonly clock: Clock;
}

export function lazyScope(build: () => EventFields): EventScope {
  let fields: EventFields | undefined;
  return () => (fields ??= build());
}

// Events cost an HMAC (identifier hash) and a few objects: skip all of it when nobody listens.
export function emit(sink: EventSink, type: OtpEventType, scope: EventScope, extra?: Partial<EventFields>): void {
  if (!sink.events.wants(type)) return;
  const fields = scope();
  const event = buildEvent(type, sink.clock.now(), fields, extra);
  const identifier = clearIdentifiers.get(fields);
  if (identifier !== undefined) clearIdentifiers.set(event, identifier);
  sink.events.emit(event);
}

/** The fields every event about this verification shares, built only if an event is wanted. */
export function claimsScope(
  keyring: Keyring,
  claims: TokenClaims,
  client: ClientInfo | undefined,
  traceId: string | undefined,
): EventScope {
  return lazyScope(() =>
    withClearIdentifier(
      {
        id: claims.id,
        purpose: claims.purpose,
        identifier: maskIdentifier(claims.identifier),
        identifierHash: claims.identifierHash ?? keyring.identifierHash(claims.identifier),
        channel: claims.channel,
        maxAttempts: claims.maxAttempts,
        client,
        traceId,
        ...(claims.transactionDigest !== null && { transactionDigest: claims.transactionDigest }),
      },
      claims.identifier,
    ),
  );
}

/**
 * One event, always with the same shape (absent fields are undefined): object spreads of
 * varying shapes were the largest cost of emitting on the check path.
 */
export function buildEvent(type: OtpEventType, at: number, fields: EventFields, extra: Partial<EventFields> | undefined): OtpEvent {
  return {
    type,
    id: extra?.id ?? fields.id,
    purpose: fields.purpose,
    identifier: fields.identifier,
    identifierHash: fields.identifierHash,
    channel: extra?.channel ?? fields.channel,
    attempts: extra?.attempts ?? fields.attempts,
    maxAttempts: extra?.maxAttempts ?? fields.maxAttempts,
    reason: extra?.reason ?? fields.reason,
    limit: extra?.limit ?? fields.limit,
    retryAfterSeconds: extra?.retryAfterSeconds ?? fields.retryAfterSeconds,
    metadata: extra?.metadata ?? fields.metadata,
    transactionDigest: fields.transactionDigest,
    client: fields.client,
    traceId: fields.traceId,
    durationMs: extra?.durationMs,
    actor: fields.actor,
    at,
    codeExpiresAt: extra?.codeExpiresAt ?? fields.codeExpiresAt,
    sessionExpiresAt: extra?.sessionExpiresAt ?? fields.sessionExpiresAt,
  };
}
