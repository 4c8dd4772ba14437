/**
 * The console's sessions. A session is its cookie: sealed (sealed-session.ts) under the service's
 * keys, so any instance sharing OTP_KEYS opens it and a restart keeps it. On each request the
 * session's scopes are those the signed-in key has now in the configuration (a removed key ends
 * its sessions at once), the idle and absolute limits are read from the cookie's own times, and
 * the store is asked whether the session signed out (sign-outs.ts). The API key is never kept.
 */
import type { Keyring } from "../../core/keyring.js";
import type { LedgerStore } from "../../contracts/ledger.js";
import { scopeMask, type ApiKeyOption } from "../api-keys.js";
import { callerOfKey } from "../auth.js";
import type { Caller } from "../caller.js";
import { csrfTokenFor } from "./csrf.js";
import { newSessionId, openSession, sealSession, type OpenedSession } from "./sealed-session.js";
import { SignOuts } from "./sign-outs.js";

/** The scopes that open the console: `audit` reads, `admin` reads and acts. */
export const CONSOLE_SCOPES = scopeMask(["audit"]);

/** One signed-in operator, as one request sees it. */
export interface ConsoleSession {
  readonly id: string;
  /** The synchronizer token every state-changing request of this session must carry. */
  readonly csrfToken: string;
  /** The signed-in key's scopes now, as the bits of scopeMask. */
  readonly scopes: number;
  /** Who the session's requests come from: the signed-in key's id (what audit rows name as the actor) and scopes. */
  readonly caller: Caller;
  /** A new cookie value to send back (its last-seen time moved on), when the current one is older than the renewal step. */
  readonly renewed: string | undefined;
}

export interface ConsoleSessionsOptions {
  keyring: Keyring;
  apiKeys: readonly ApiKeyOption[];
  /** Where sign-outs are kept: the service's store. */
  store: LedgerStore;
  idleTimeoutSeconds: number;
  /** A session ends this long after sign-in, however busy. */
  lifetimeSeconds: number;
  /** The Secure `__Host-` cookie: a cookie made for the other kind never opens. */
  secureCookie: boolean;
  /** A store call that takes longer fails with STORE_UNAVAILABLE. Default 1,000 ms. */
  storeTimeoutMs?: number;
  now?: () => number;
}

/** The longest a cookie's last-seen time lags behind a request: every instance moves it on this step. */
export const RENEWAL_STEP_SECONDS = 60;

export class ConsoleSessions {
  readonly idleTimeoutSeconds: number;
  readonly lifetimeSeconds: number;
  readonly secureCookie: boolean;
  readonly #keyring: Keyring;
  readonly #keys: ReadonlyMap<string, { scopes: number; caller: Caller }>;
  readonly #signOuts: SignOuts;
  readonly #now: () => number;
  /** A minute, or a quarter of the idle timeout when that is shorter, so a busy session never idles out between steps. */
  readonly #renewAfterMs: number;

  constructor(options: ConsoleSessionsOptions) {
    for (const [name, value] of [
      ["idle timeout", options.idleTimeoutSeconds],
      ["session lifetime", options.lifetimeSeconds],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new TypeError(`otp-actions: the console's ${name} must be a positive integer, got ${String(value)}`);
    }
    this.idleTimeoutSeconds = options.idleTimeoutSeconds;
    this.lifetimeSeconds = options.lifetimeSeconds;
    this.secureCookie = options.secureCookie;
    this.#keyring = options.keyring;
    this.#keys = keysById(options.apiKeys);
    this.#signOuts = new SignOuts({
      store: options.store,
      ttlMs: options.lifetimeSeconds * 1000,
      timeoutMs: options.storeTimeoutMs ?? 1000,
    });
    this.#now = options.now ?? Date.now;
    this.#renewAfterMs = Math.min(RENEWAL_STEP_SECONDS * 1000, (options.idleTimeoutSeconds * 1000) / 4);
  }

  /** A new session for the configured key that just signed in, and its cookie value. */
  create(apiKey: ApiKeyOption): { session: ConsoleSession; cookie: string } {
    this.#signOuts.requireMarks();
    const caller = callerOfKey(apiKey);
    const known = this.#keys.get(caller.keyId)!;
    const now = this.#now();
    const key = this.#keyring.sealing;
    const claims = { id: newSessionId(), keyId: caller.keyId, issuedAtMs: now, lastSeenMs: now, secure: this.secureCookie };
    const session = {
      id: claims.id,
      csrfToken: csrfTokenFor(key, claims.id),
      scopes: known.scopes,
      caller: known.caller,
      renewed: undefined,
    };
    return { session, cookie: sealSession(key, claims) };
  }

  /**
   * The live session a cookie value holds, or undefined: none, not one of ours, idle or past its
   * lifetime, its key gone from the configuration or no longer able to open the console, signed
   * out. Throws STORE_UNAVAILABLE when the store cannot say whether it signed out.
   */
  async resume(cookie: string | undefined): Promise<ConsoleSession | undefined> {
    const opened = this.#open(cookie);
    if (opened === undefined) return undefined;
    const { claims, key } = opened;
    const now = this.#now();
    if (now - claims.lastSeenMs >= this.idleTimeoutSeconds * 1000) return undefined;
    const current = this.#keys.get(claims.keyId);
    if (current === undefined || (current.scopes & CONSOLE_SCOPES) === 0) return undefined;
    if (await this.#signOuts.signedOut(claims.id)) return undefined;
    // Sealed again under the same key, so the CSRF token derived from it stays the session's.
    const renewed = now - claims.lastSeenMs >= this.#renewAfterMs ? sealSession(key, { ...claims, lastSeenMs: now }) : undefined;
    return { id: claims.id, csrfToken: csrfTokenFor(key, claims.id), scopes: current.scopes, caller: current.caller, renewed };
  }

  /** Signs out: the session's cookie, every copy of it, opens nothing on any instance from now on. */
  async end(session: ConsoleSession): Promise<void> {
    await this.#signOuts.signOut(session.id);
  }

  /** Ends the session of a cookie value that still could be live (the one a new sign-in replaces). */
  async endCookie(cookie: string | undefined): Promise<void> {
    const opened = this.#open(cookie);
    if (opened !== undefined) await this.#signOuts.signOut(opened.claims.id);
  }

  /** The cookie's session when it opens, was made for this kind of cookie and is within its lifetime. */
  #open(cookie: string | undefined): OpenedSession | undefined {
    const opened = cookie === undefined ? undefined : openSession(this.#keyring, cookie);
    if (opened === undefined || opened.claims.secure !== this.secureCookie) return undefined;
    if (this.#now() - opened.claims.issuedAtMs >= this.lifetimeSeconds * 1000) return undefined;
    return opened;
  }
}

/** The configured keys by id, each with its scopes and the caller it makes (a key listed twice has the scopes of both). */
function keysById(apiKeys: readonly ApiKeyOption[]): ReadonlyMap<string, { scopes: number; caller: Caller }> {
  const byId = new Map<string, { scopes: number; caller: Caller }>();
  for (const entry of apiKeys) {
    const caller = callerOfKey(entry);
    const scopes = (byId.get(caller.keyId)?.scopes ?? 0) | scopeMask(caller.scopes);
    byId.set(caller.keyId, { scopes, caller });
  }
  return byId;
}
