import diagnostics_channel from "node:diagnostics_channel";
import { DIAGNOSTICS_CHANNEL_PREFIX, EVENT_TYPES, type OtpEvent, type OtpEventListener, type OtpEventType } from "../contracts/events.js";

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
      (this.#listeners.get(type)?.size ?? 0) > 0 || (this.#listeners.get("*")?.size ?? 0) > 0 || this.#channels.get(type)?.hasSubscribers === true
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
