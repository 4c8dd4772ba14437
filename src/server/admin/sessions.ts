/**
 * The console's sessions: a random id (the cookie's value) names a record kept here, in memory,
 * holding the signed-in key's scopes and the session's CSRF token. The API key itself is never
 * kept or sent back. A session unused for the idle timeout is gone; so is every session when the
 * process restarts (operators sign in again).
 */
import { randomBytes } from "node:crypto";
import type { Caller } from "../caller.js";

/** One signed-in operator. */
export interface ConsoleSession {
  readonly id: string;
  /** The synchronizer token every state-changing request of this session must carry. */
  readonly csrfToken: string;
  /** The signed-in key's scopes, as the bits of scopeMask. */
  readonly scopes: number;
  /** Who the session's requests come from: the signed-in key's id (what audit rows name as the actor) and scopes. */
  readonly caller: Caller;
  lastSeenMs: number;
}

export interface ConsoleSessionsOptions {
  idleTimeoutSeconds: number;
  /** Sessions kept at most; past it the least recently used one ends. Default 10,000. */
  maxSessions?: number;
  now?: () => number;
}

const DEFAULT_MAX_SESSIONS = 10_000;
const ID_BYTES = 32;

/** 256 random bits, URL-safe: a session id or a CSRF token. */
export function randomToken(): string {
  return randomBytes(ID_BYTES).toString("base64url");
}

export class ConsoleSessions {
  readonly idleTimeoutSeconds: number;
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: ConsoleSessionsOptions) {
    if (!Number.isSafeInteger(options.idleTimeoutSeconds) || options.idleTimeoutSeconds < 1)
      throw new TypeError(`otp-actions: the console's idle timeout must be a positive integer, got ${String(options.idleTimeoutSeconds)}`);
    this.idleTimeoutSeconds = options.idleTimeoutSeconds;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.now = options.now ?? Date.now;
  }

  /** A new session for a key that just signed in. */
  create(scopes: number, caller: Caller): ConsoleSession {
    // The map keeps insertion order and use() re-inserts: the first entry is the least recently used.
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const session: ConsoleSession = {
      id: randomToken(),
      csrfToken: randomToken(),
      scopes,
      lastSeenMs: this.now(),
      caller,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle clock restarted; undefined when unknown or idle too long. */
  use(id: string): ConsoleSession | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const now = this.now();
    this.sessions.delete(id);
    if (now - session.lastSeenMs >= this.idleTimeoutSeconds * 1000) return undefined;
    session.lastSeenMs = now;
    this.sessions.set(id, session);
    return session;
  }

  /** Signs out: the id no longer opens anything. */
  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
