import { createHash } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import type { LedgerRevokeOptions, LedgerState, RecordOutcome, RecordResult, RevokeResult, LedgerStore } from "./store.js";
import { timeoutOption, withTimeout } from "./timeout.js";

export interface RedisStoreOptions {
  /** A client you built (a `Redis` or a `Cluster`); `close()` then leaves it connected. */
  client?: Redis | Cluster;
  /** Used to build a client when `client` is absent: `redis://127.0.0.1:6379/0`. */
  url?: string;
  /** Prepended to every key. Default `otp:`. */
  keyPrefix?: string;
  /** Bound on connecting and on each command. Default 1,000 ms. */
  timeoutMs?: number;
}

/** What follows a replaced entry's attempts; Lua reads "2.0" as the number 2. */
const REPLACED_MARK = ".0";

// One value per verification: a state letter and the attempts used, e.g. "p2" = pending, two
// attempts. One GET/SET pair inside a script; the key's TTL is the session window. These are the
// check's steps, ending in answer(outcome, attempts); each script says what answer does.
// A replaced entry (revoked by a resend) is "r2.0": still letter 'r' and two attempts to these
// steps, so every check script refuses it as revoked, including one loaded by an older release
// that shares this Redis; a new letter would read there as pending.
const RECORD_STEPS = `
local value = redis.call('GET', KEYS[1])
if not value then return answer(0, 0) end
local state = string.sub(value, 1, 1)
local attempts = tonumber(string.sub(value, 2))
if state == 'c' then return answer(1, attempts) end
if state == 'r' then return answer(2, attempts) end
if attempts >= tonumber(ARGV[2]) then return answer(3, attempts) end
attempts = attempts + 1
if ARGV[1] == '1' then
  redis.call('SET', KEYS[1], 'c' .. attempts, 'KEEPTTL')
  return answer(4, attempts)
end
redis.call('SET', KEYS[1], 'p' .. attempts, 'KEEPTTL')
return answer(5, attempts)
`;

const RECORD_SCRIPT = `
local function answer(outcome, attempts) return {outcome, attempts} end
${RECORD_STEPS}`;

// ARGV[1] = '1' marks the entry replaced rather than revoked. Reply: previous state (an index
// into REVOKE_PREVIOUS), attempts.
const REVOKE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return {0, 0} end
local state = string.sub(value, 1, 1)
local attempts = tonumber(string.sub(value, 2))
if state == 'p' then
  redis.call('SET', KEYS[1], 'r' .. attempts .. (ARGV[1] == '1' and '${REPLACED_MARK}' or ''), 'KEEPTTL')
  return {1, attempts}
end
if state == 'c' then return {2, attempts} end
if string.sub(value, -${REPLACED_MARK.length}) == '${REPLACED_MARK}' then return {4, attempts} end
return {3, attempts}
`;

const RECORD_OUTCOMES: RecordOutcome[] = ["unknown", "consumed", "revoked", "exhausted", "approved", "rejected"];
const REVOKE_PREVIOUS: LedgerState[] = ["unknown", "pending", "consumed", "revoked", "replaced"];

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

const SCRIPTS = { record: script(RECORD_SCRIPT), revoke: script(REVOKE_SCRIPT) };

/**
 * The hot path for many instances: each check is one EVALSHA (one round trip), atomic because
 * Redis runs a script to completion. Keys carry the verification id in a hash tag, `otp:{id}`,
 * so every key a script touches sits in one Redis Cluster slot.
 *
 * A client built here never queues commands while disconnected and never resends them after a
 * reconnect: a check that answered STORE_UNAVAILABLE must not quietly run minutes later.
 */
export class RedisStore implements LedgerStore {
  readonly kind = "redis";
  readonly client: Redis | Cluster;
  readonly keyPrefix: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  #connecting: Promise<void> | undefined;
  /** The last connection error the client reported; kept so health() can say why. */
  lastError: Error | undefined;

  constructor(options: RedisStoreOptions) {
    this.#timeoutMs = timeoutOption("redis", options.timeoutMs);
    this.keyPrefix = options.keyPrefix ?? "otp:";
    if (typeof this.keyPrefix !== "string" || /[{}]/.test(this.keyPrefix)) {
      throw new TypeError("otp-actions: redisStore keyPrefix must be a string without '{' or '}' (the id is the hash tag)");
    }
    if (options.client) {
      this.client = options.client;
      this.#owned = false;
    } else if (typeof options.url === "string") {
      this.client = new Redis(options.url, {
        lazyConnect: true,
        connectTimeout: this.#timeoutMs,
        commandTimeout: this.#timeoutMs,
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
        // Reconnects forever, at most a second apart, so the store comes back by itself.
        retryStrategy: (times) => Math.min(times * 100, 1000),
      });
      this.#owned = true;
    } else {
      throw new TypeError("otp-actions: redisStore needs `client` or `url`");
    }
    // Without a listener ioredis prints every connection error; with one, it is kept for health().
    this.client.on("error", this.#onError);
  }

  readonly #onError = (error: Error): void => {
    this.lastError = error;
  };

  /** Loads the scripts on every master. Optional: a missing script is loaded on first use. */
  async migrate(): Promise<void> {
    await this.#call(async (client) => {
      const nodes = client instanceof Cluster ? client.nodes("master") : [client];
      await Promise.all(nodes.flatMap((node) => Object.values(SCRIPTS).map((loaded) => node.script("LOAD", loaded.source))));
    });
  }

  async open(id: string, ttlMs: number, attempts = 0): Promise<void> {
    await this.#call((client) => client.set(this.#key(id), `p${attempts}`, "PX", Math.max(1, Math.ceil(ttlMs))));
  }

  async record(id: string, match: boolean, maxAttempts: number): Promise<RecordResult> {
    const [code, attempts] = await this.#call((client) => this.#eval(client, SCRIPTS.record, this.#key(id), match ? "1" : "0", String(maxAttempts)));
    return { outcome: RECORD_OUTCOMES[code]!, attempts };
  }

  async revoke(id: string, options: LedgerRevokeOptions = {}): Promise<RevokeResult> {
    const replaced = options.replaced === true ? "1" : "0";
    const [code, attempts] = await this.#call((client) => this.#eval(client, SCRIPTS.revoke, this.#key(id), replaced));
    return { previous: REVOKE_PREVIOUS[code]!, attempts };
  }

  async health(): Promise<void> {
    await this.#call((client) => client.ping());
  }

  async close(): Promise<void> {
    if (!this.#owned) {
      // The user's client outlives this store: leave it without our listener. (One we own keeps
      // it through quit, so a late connection error cannot go unheard and end the process.)
      this.client.off("error", this.#onError);
      return;
    }
    if (this.client.status === "end") return;
    await withTimeout(this.client.quit(), this.#timeoutMs, "redis").catch(() => this.client.disconnect());
  }

  #key(id: string): string {
    return `${this.keyPrefix}{${id}}`;
  }

  #eval(client: Redis | Cluster, script: Script, key: string, ...args: string[]): Promise<[number, number]> {
    return this.#evalKeys(client, script, [key], args) as Promise<[number, number]>;
  }

  async #evalKeys(client: Redis | Cluster, { sha, source }: Script, keys: string[], args: string[]): Promise<number[]> {
    try {
      return (await client.evalsha(sha, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      // A restarted or failed-over node has lost its script cache: EVAL runs and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return (await client.eval(source, keys.length, ...keys, ...args)) as number[];
    }
  }

  /** Runs a command once the client is connected, within the timeout. */
  #call<T>(operation: (client: Redis | Cluster) => Promise<T>): Promise<T> {
    return withTimeout(
      this.#connected().then(() => operation(this.client)),
      this.#timeoutMs,
      "redis",
    );
  }

  // A client that has not connected yet (lazy, or just built) is given the time to do so; one
  // that lost its connection fails at once, so callers get STORE_UNAVAILABLE without waiting.
  async #connected(): Promise<void> {
    const client = this.client;
    switch (client.status) {
      case "ready":
        return;
      case "wait":
      case "connecting":
      case "connect":
        // Every caller arriving meanwhile shares one wait: one set of listeners, not one each.
        this.#connecting ??= this.#waitUntilReady().finally(() => (this.#connecting = undefined));
        return this.#connecting;
      default:
        throw new Error(`redis is not connected (${client.status})${this.lastError ? `: ${this.lastError.message}` : ""}`);
    }
  }

  #waitUntilReady(): Promise<void> {
    const client = this.client;
    return new Promise<void>((resolve, reject) => {
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onEnd = () => {
        cleanup();
        reject(new Error(`redis did not connect${this.lastError ? `: ${this.lastError.message}` : ""}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("close", onEnd);
        client.off("end", onEnd);
      };
      const timer = setTimeout(onEnd, this.#timeoutMs);
      client.once("ready", onReady);
      client.once("close", onEnd);
      client.once("end", onEnd);
      if (client.status === "wait") client.connect().catch(() => undefined);
    });
  }
}

export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
