import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { redisReady } from "../../drivers/redis-ready.js";
import type { RedisStore } from "../../stores/redis.js";
import { LEDGER_FUNCTIONS, RECORD_OUTCOMES } from "../../stores/redis-ledger-lua.js";
import type { RecordResult } from "../../contracts/ledger.js";
import { StoreTimeoutError, withTimeout } from "../../core/util/with-timeout.js";
import type { CounterOp, CounterStep, CounterStore, OpResult, StepResult } from "./counter-store.js";
import { COUNTERS_LUA } from "./redis-step-lua.js";

/** Where Redis counters live. */
export interface RedisCountersOptions {
  /** The client (the Redis store's own, by default). */
  client: Redis | Cluster;
  /** Prepended to every key. Default `otp:guard:`. */
  keyPrefix?: string;
  /**
   * The Redis store on this same client: its check and open then run inside the counters'
   * script, one round trip (not on a Cluster).
   */
  ledger?: RedisStore;
}

function loaded(source: string): { source: string; sha: string } {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

// Alone, the ledger functions are never called (part is '-'); beside a ledger, the store's own.
const ALONE = loaded(`local function ledger_open() end\nlocal function ledger_record() return 0, 0 end\n${COUNTERS_LUA}`);
const BESIDE_LEDGER = loaded(`${LEDGER_FUNCTIONS}\n${COUNTERS_LUA}`);
const KIND_LETTER: Record<CounterOp["kind"], string> = { lock: "l", take: "t", forget: "f", giveBack: "g", unlock: "u" };

/**
 * Counters on Redis: each step is one script call (one round trip), atomic because Redis runs a
 * script to completion; beside the Redis store on the same client, the step's ledger part runs in
 * the same script, so a guarded check or a first send is one round trip too. A script's keys must
 * share a Cluster slot, so every key carries the one hash tag `{guard}`: on a Cluster the counters
 * live on one node, and run apart from the ledger.
 */
export class RedisCounters implements CounterStore {
  readonly kind = "redis";
  readonly shared = true;
  readonly ledger: RedisStore | undefined;
  readonly #client: Redis | Cluster;
  readonly #prefix: string;

  constructor(options: RedisCountersOptions) {
    this.#client = options.client;
    const prefix = options.keyPrefix ?? "otp:guard:";
    if (typeof prefix !== "string" || /[{}]/.test(prefix))
      throw new TypeError("otp-actions: redisCounters keyPrefix must be a string without '{' or '}'");
    this.#prefix = `${prefix}{guard}:`;
    this.ledger = options.ledger?.composable && options.ledger.client === options.client ? options.ledger : undefined;
  }

  /** Applies a step atomically: all of it, or nothing when an op refuses or the deadline passed. */
  async apply(step: CounterStep): Promise<StepResult> {
    const leftMs = step.deadlineMs - Date.now();
    if (leftMs <= 0) throw new StoreTimeoutError("guard", 0);
    const part = step.ledger;
    if (part && !this.ledger) throw new Error("otp-actions: these counters do not share the ledger's client");
    const keys: string[] = [];
    const index = new Map<string, number>();
    // KEYS[1] is the entry (added by the store) or, alone, a key never touched.
    const keyOf = (key: string | undefined): number => {
      if (key === undefined) return 0;
      let at = index.get(key);
      if (at === undefined) {
        keys.push(this.#key(key));
        at = keys.length + 1;
        index.set(key, at);
      }
      return at;
    };
    const payload: Array<string | number> = [step.nowMs, "-", 0, 0];
    if (part?.kind === "open") payload.splice(1, 3, "o", part.attempts, Math.max(1, Math.ceil(part.ttlMs)));
    else if (part) payload.splice(1, 3, "r", part.match ? "1" : "0", part.maxAttempts);
    // Each op with the fields its kind needs: phase, kind, key; a take adds max, window,
    // only-if-absent key and lock mode, and with a lock its key, level key, base, max and level
    // window; an unlock its level key.
    const encode = (phase: string, op: CounterOp): void => {
      payload.push(phase, KIND_LETTER[op.kind], keyOf(op.key));
      if (op.kind === "unlock") payload.push(keyOf(op.levelKey));
      if (op.kind !== "take") return;
      const lock = op.lock;
      payload.push(op.max, op.windowMs, keyOf(op.onlyIfAbsent), lock ? (lock.resetCount ? "R" : "L") : "-");
      if (lock) payload.push(keyOf(lock.key), keyOf(lock.levelKey), lock.baseMs, lock.maxMs, lock.levelWindowMs);
    };
    for (const op of step.ops) encode("m", op);
    if (part?.kind === "record") {
      for (const op of part.onApproved) encode("a", op);
      for (const op of part.onNotCompared) encode("n", op);
    }
    const json = JSON.stringify(payload);
    const generation = keyOf(step.generation);
    const reply = (
      part
        ? await this.ledger!.evalWithEntry(BESIDE_LEDGER, part.id, step.deadlineMs, keys, [json, generation])
        : await withTimeout(
            async () => {
              // A client built to connect lazily (as the Redis store builds its own) connects on first use.
              await redisReady(this.#client, leftMs);
              return this.#eval([this.#key("-"), ...keys], [Math.floor(step.deadlineMs), "", json, generation]);
            },
            leftMs,
            "redis",
          )
    ) as number[];
    if (reply[0] === -2) throw new StoreTimeoutError("guard", leftMs);
    if (reply[0] === -1) return { refused: { index: reply[1]!, retryAfterMs: reply[2]! }, results: [] };
    const results: OpResult[] = step.ops.map((_, i) => {
      const lockMs = reply[4 + 2 * i]!;
      return lockMs > 0 ? { points: reply[3 + 2 * i]!, lockMs } : { points: reply[3 + 2 * i]! };
    });
    if (part?.kind !== "record") return { results };
    const record: RecordResult = { outcome: RECORD_OUTCOMES[reply[1]!]!, attempts: reply[2]! };
    return { results, record };
  }

  async health(): Promise<void> {
    await this.#client.ping();
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`;
  }

  async #eval(keys: string[], args: Array<string | number>): Promise<number[]> {
    try {
      return (await this.#client.evalsha(ALONE.sha, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      // A restarted or failed-over node has lost its script cache: EVAL runs and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return (await this.#client.eval(ALONE.source, keys.length, ...keys, ...args)) as number[];
    }
  }
}

/** Counters in Redis (one Lua script a step), shared by every process on the server. */
export function redisCounters(options: RedisCountersOptions): RedisCounters {
  return new RedisCounters(options);
}
