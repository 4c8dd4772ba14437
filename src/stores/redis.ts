// Past 300 lines for one class: the connection, the epoch it confirms and the commands sent on it are one piece of state.
import { Cluster, Redis } from "ioredis";
import { redisReady } from "../drivers/redis-ready.js";
import type {
  AdvanceResult,
  LedgerCallOptions,
  LedgerEntry,
  LedgerRevokeOptions,
  LedgerStore,
  RecordResult,
  RevokeResult,
} from "../contracts/ledger.js";
import { clockSkewOption, timeoutOption } from "../core/util/option-checks.js";
import { deadlineOf, deadlinePassed, withTimeout } from "../core/util/with-timeout.js";
import { RECORD_OUTCOMES } from "./redis-ledger-lua.js";
import { confirmEpoch, type ConfirmedEpoch } from "./redis-epoch.js";
import { persistenceRisk, readPersistence, type RedisPersistence } from "./redis-persistence.js";
import { INSPECT_STATES, REVOKE_PREVIOUS, SCRIPTS, type Script } from "./redis-scripts.js";

export type { RedisPersistence } from "./redis-persistence.js";

/** Options of `redisStore`: a client or a URL. */
export interface RedisStoreOptions {
  /** A client you built (a `Redis` or a `Cluster`); `close()` then leaves it connected. */
  client?: Redis | Cluster;
  /** Used to build a client when `client` is absent: `redis://127.0.0.1:6379/0`. */
  url?: string;
  /** Prepended to every key. Default `otp:`. */
  keyPrefix?: string;
  /** Bound on connecting and on each command, and a write's deadline when the call names none. Default 1,000 ms. */
  timeoutMs?: number;
  /**
   * How far Redis's clock may run behind this machine's: the scripts compare Redis's `TIME` with
   * the call's deadline, and a call waits this long past its deadline for the answer. Default 250 ms.
   */
  clockSkewMs?: number;
  /**
   * Keep the epoch across a new server run id when that server runs AOF with `appendfsync
   * always` (a restart that lost nothing). Default true. Set false behind automatic failover: a
   * promoted replica may lack the last writes (replication is asynchronous), and every new run id
   * then starts a new epoch.
   */
  trustAppendOnly?: boolean;
}

/**
 * The hot path for many instances: each call is one EVALSHA (one round trip), atomic because
 * Redis runs a script to completion. Keys carry the verification id in a hash tag, `otp:{id}`,
 * so every key a script touches sits in one Redis Cluster slot.
 *
 * A client built here never queues commands while disconnected and never resends them after a
 * reconnect: a check that answered STORE_UNAVAILABLE must not quietly run minutes later. Each
 * script also refuses to apply past the call's deadline, by Redis's own clock.
 *
 * Epochs. A Redis that keeps snapshots only (or nothing) comes back from a crash with an older
 * ledger: a code used after the last snapshot would be pending again. So every entry records the
 * epoch it was opened in, and every check passes the current epoch; an entry of another epoch is
 * answered as unknown, which never approves. The epoch lives in Redis (`<prefix>epoch`) beside the
 * run id of the server that confirmed it. Before its first command on each new connection, the
 * store reads the server's run id and persistence and confirms the epoch: same run id, same
 * epoch; another run id (a restart, a failover) starts a new epoch, unless that server runs AOF
 * with `appendfsync always` (a restart then loses no acknowledged write; `trustAppendOnly: false`
 * turns this off, for failover to replicas that may lag). A restored snapshot
 * brings back its old epoch record and old run id with it, so a restart from it is always seen.
 * The confirmation is tied to the connection: a restart drops it, and no command goes out on a
 * connection whose server has not confirmed the epoch, so none can reach a rolled-back ledger
 * before the new epoch is set. On a Redis Cluster this holds per command only for the node it
 * reaches, which the store cannot pin; there, the epoch is not used and `persistence()` reports
 * the risk unless every master runs AOF with `appendfsync always`.
 */
export class RedisStore implements LedgerStore {
  readonly kind = "redis";
  /** The client the store talks through. */
  readonly client: Redis | Cluster;
  /** The prefix of every key the store writes. */
  readonly keyPrefix: string;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  readonly #clockSkewMs: number;
  readonly #trustAppendOnly: boolean;
  /** The epoch confirmed on a connection (the client's stream when it was confirmed). */
  #epoch: { stream: unknown; value: Promise<string> } | undefined;
  /** The last connection error the client reported; kept so health() can say why. */
  lastError: Error | undefined;

  constructor(options: RedisStoreOptions) {
    this.#timeoutMs = timeoutOption("redis", options.timeoutMs);
    this.#clockSkewMs = clockSkewOption("redis", options.clockSkewMs);
    this.#trustAppendOnly = options.trustAppendOnly ?? true;
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
        // No commandTimeout: each call is bound by its own deadline (plus the clock allowance), and
        // a shorter driver timeout would answer "unavailable" while Redis may still apply it.
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
    await this.#call(this.#timeoutMs, async (client) => {
      const nodes = client instanceof Cluster ? client.nodes("master") : [client];
      await Promise.all(nodes.flatMap((node) => Object.values(SCRIPTS).map((loaded) => node.script("LOAD", loaded.source))));
    });
  }

  async open(id: string, ttlMs: number, attempts = 0, options?: LedgerCallOptions): Promise<void> {
    await this.#write(options, SCRIPTS.open, id, String(attempts), String(Math.max(1, Math.ceil(ttlMs))));
  }

  async record(id: string, match: boolean, maxAttempts: number, options?: LedgerCallOptions): Promise<RecordResult> {
    const [code, attempts] = await this.#write(options, SCRIPTS.record, id, match ? "1" : "0", String(maxAttempts));
    return { outcome: RECORD_OUTCOMES[code]!, attempts };
  }

  async revoke(id: string, options: LedgerRevokeOptions & LedgerCallOptions = {}): Promise<RevokeResult> {
    const [code, attempts] = await this.#write(options, SCRIPTS.revoke, id, options.replaced === true ? "1" : "0");
    return { previous: REVOKE_PREVIOUS[code]!, attempts };
  }

  /**
   * A script that only reads, sent as the others are: on a connection whose epoch is confirmed,
   * so an entry from before a restart that may have lost writes reads as unknown, as a check refuses it.
   */
  async inspect(id: string, options?: LedgerCallOptions): Promise<LedgerEntry> {
    const [code, attempts, expiresAtMs] = await this.#write<[number, number, number]>(options, SCRIPTS.inspect, id);
    const state = INSPECT_STATES[code] ?? "unknown";
    return state === "unknown" ? { state, attempts: 0 } : { state, attempts, expiresAtMs };
  }

  async advance(key: string, value: number, ttlMs: number, options?: LedgerCallOptions): Promise<AdvanceResult> {
    const [advanced, mark] = await this.#write(options, SCRIPTS.advance, key, String(value), String(Math.max(1, Math.ceil(ttlMs))));
    return { advanced: advanced === 1, value: mark };
  }

  async health(): Promise<void> {
    await this.#call(this.#timeoutMs, (client) => client.ping());
  }

  /**
   * True when a caller's script can run beside the entry of a verification: a single Redis, not a
   * Cluster (whose keys would sit in other slots than the entry's).
   */
  get composable(): boolean {
    return !(this.client instanceof Cluster);
  }

  /**
   * Runs a caller's script, one that calls `ledger_record` or `ledger_open` (redis-ledger-lua.ts)
   * beside work of its own, on the entry of `id`, so both are one atomic round trip (the guard's
   * counters use it). KEYS[1] is the entry, ARGV[1] the deadline and ARGV[2] the epoch; the
   * caller's keys and arguments follow. Sent as every ledger script is: on a connection whose
   * epoch is confirmed, and waited for up to the deadline plus the clock allowance. The script
   * must refuse past ARGV[1] by Redis's clock, as the ledger's own do.
   */
  async evalWithEntry(
    loaded: { source: string; sha: string },
    id: string,
    deadlineMs: number,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown[]> {
    if (!this.composable) throw new Error("otp-actions: a Redis Cluster cannot run other keys beside a verification's entry");
    const boundMs = Math.max(1, deadlineMs - Date.now()) + this.#clockSkewMs;
    return this.#call(boundMs, async (client) => {
      const epoch = await this.#confirmedEpoch(client);
      return this.#evalOnEpoch(
        client,
        loaded,
        epoch,
        [this.#key(id), ...keys],
        [String(Math.floor(deadlineMs)), epoch.value, ...args.map(String)],
      ) as Promise<unknown[]>;
    });
  }

  /**
   * What the server (every master, on a Cluster) keeps across a crash: from `CONFIG GET`, or from
   * `INFO persistence` where CONFIG is disabled. For a start-up log line and a health page.
   */
  async persistence(): Promise<RedisPersistence> {
    return this.#call(this.#timeoutMs, async (client) => {
      const cluster = client instanceof Cluster;
      const nodes = cluster ? client.nodes("master") : [client];
      const each = await Promise.all(nodes.map(readPersistence));
      const fsyncs = new Set(each.map((node) => node.appendfsync));
      const aof = each.every((node) => node.aof);
      const appendfsync = fsyncs.size === 1 ? [...fsyncs][0]! : null;
      return {
        aof,
        appendfsync,
        rdb: each.every((node) => node.rdb),
        risk: persistenceRisk(
          aof,
          appendfsync,
          each.some((node) => node.rdb),
          cluster,
        ),
      };
    });
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

  /**
   * One ledger script on the entry of `id`, bound by the call's deadline: the script refuses past
   * it by Redis's clock, and the call waits for its answer up to the deadline plus the clock allowance.
   */
  async #write<R extends number[] = [number, number]>(
    options: LedgerCallOptions | undefined,
    loaded: Script,
    id: string,
    ...args: string[]
  ): Promise<R> {
    const deadlineMs = deadlineOf("redis", options, this.#timeoutMs);
    const boundMs = Math.max(1, deadlineMs - Date.now()) + this.#clockSkewMs;
    const reply = await this.#call(boundMs, async (client) => {
      const epoch = await this.#confirmedEpoch(client);
      return (await this.#evalOnEpoch(client, loaded, epoch, [this.#key(id)], [String(Math.floor(deadlineMs)), epoch.value, ...args])) as R;
    });
    if (reply[0] === -1) throw deadlinePassed("redis");
    return reply;
  }

  // The script goes out only on the connection whose server confirmed the epoch, checked in the
  // same turn of the event loop as the command is written to it.
  async #evalOnEpoch(
    client: Redis | Cluster,
    { sha, source }: Script,
    epoch: ConfirmedEpoch,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown[]> {
    const send = (command: "evalsha" | "eval"): Promise<unknown[]> => {
      if (!(client instanceof Cluster) && (client.stream !== epoch.stream || client.status !== "ready")) {
        this.#epoch = undefined;
        return Promise.reject(new Error("redis reconnected before the epoch of the new connection was confirmed"));
      }
      return (
        command === "evalsha" ? client.evalsha(sha, keys.length, ...keys, ...args) : client.eval(source, keys.length, ...keys, ...args)
      ) as Promise<unknown[]>;
    };
    try {
      return await send("evalsha");
    } catch (error) {
      // A restarted or failed-over node has lost its script cache: EVAL runs and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return send("eval");
    }
  }

  async #confirmedEpoch(client: Redis | Cluster): Promise<ConfirmedEpoch> {
    // On a Cluster the node a command reaches cannot be pinned: no epoch (see the class comment).
    if (client instanceof Cluster) return { stream: undefined, value: "" };
    const stream = client.stream;
    if (this.#epoch?.stream !== stream) {
      const value = confirmEpoch(client, `${this.keyPrefix}epoch`, this.#trustAppendOnly);
      const held = { stream, value };
      this.#epoch = held;
      value.catch(() => {
        if (this.#epoch === held) this.#epoch = undefined;
      });
    }
    return { stream, value: await this.#epoch!.value };
  }

  /** Runs a command once the client is connected, within `boundMs`. */
  #call<T>(boundMs: number, operation: (client: Redis | Cluster) => Promise<T>): Promise<T> {
    return withTimeout(
      redisReady(this.client, this.#timeoutMs, () => this.lastError).then(() => operation(this.client)),
      boundMs,
      "redis",
    );
  }
}

/**
 * For a service: the persistence of a Redis ledger (`undefined` for any other store), to log at
 * start when `risk` is set and to show on a health page.
 */
export async function ledgerPersistence(store: LedgerStore): Promise<RedisPersistence | undefined> {
  return store instanceof RedisStore ? store.persistence() : undefined;
}

/** A ledger in Redis (one Lua script per operation), shared by every process on the server. */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
