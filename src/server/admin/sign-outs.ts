/**
 * Console sign-outs, kept in the service's store so that every instance sees them: a mark through
 * the ledger's `advance` primitive, `console-signout:<session id>`, 1 once the session signed out.
 * A check advances the mark to 0, which changes nothing when it is 1. The mark lives as long as a
 * session may, so it outlasts every copy of the cookie. A store that does not answer in time makes
 * the request fail (STORE_UNAVAILABLE, 503): a session is never taken as live or ended unchecked.
 */
import type { LedgerStore } from "../../contracts/ledger.js";
import { OtpError } from "../../core/errors.js";
import { DEFAULT_CLOCK_SKEW_MS, withTimeout } from "../../core/util/with-timeout.js";

export interface SignOutsOptions {
  store: LedgerStore;
  /** How long a mark lives: the sessions' absolute lifetime. */
  ttlMs: number;
  /** A store call that takes longer fails with STORE_UNAVAILABLE. */
  timeoutMs: number;
}

const SIGNED_OUT = 1;

export class SignOuts {
  readonly #store: LedgerStore;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;

  constructor(options: SignOutsOptions) {
    this.#store = options.store;
    this.#ttlMs = options.ttlMs;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Whether the session signed out, on any instance. */
  async signedOut(sessionId: string): Promise<boolean> {
    return (await this.#advance(sessionId, 0)) >= SIGNED_OUT;
  }

  /** Ends the session everywhere; resolves once the store holds the mark. */
  async signOut(sessionId: string): Promise<void> {
    await this.#advance(sessionId, SIGNED_OUT);
  }

  /** Throws STORE_UNAVAILABLE for a store without marks: a session it could never sign out is not opened. */
  requireMarks(): void {
    if (typeof this.#store.advance !== "function")
      throw new OtpError("STORE_UNAVAILABLE", {
        message: `The ${this.#store.kind} store keeps no marks (advance), which console sign-outs need.`,
      });
  }

  async #advance(sessionId: string, value: number): Promise<number> {
    this.requireMarks();
    const store = this.#store;
    const advance = store.advance!.bind(store);
    const key = `console-signout:${sessionId}`;
    try {
      if (store.inProcess) return (await advance(key, value, this.#ttlMs)).value;
      // As the engine's calls: the store refuses to apply past a deadline a little before ours.
      const deadlineMs = Date.now() + this.#timeoutMs - Math.min(DEFAULT_CLOCK_SKEW_MS, this.#timeoutMs / 4);
      return (await withTimeout(() => advance(key, value, this.#ttlMs, { deadlineMs }), this.#timeoutMs, store.kind)).value;
    } catch (error) {
      throw new OtpError("STORE_UNAVAILABLE", { message: "The store did not answer: console sessions cannot be checked.", cause: error });
    }
  }
}
