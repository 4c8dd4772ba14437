import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { StoreTimeoutError, withTimeout } from "../../stores/timeout.js";
import type { CounterOp, CounterStep, CounterStore, StepResult } from "./counter-store.js";

export interface RedisCountersOptions {
  /** The client (the Redis store's own, by default). */
  client: Redis | Cluster;
  /** Prepended to every key. Default `otp:guard:`. */
  keyPrefix?: string;
}

/**
 * The step of `step.ts`, in Lua: judge every lock and plain take, then apply the ops. A window is
 * stored as "points:expiresAtMs" (the engine's clock) with a Redis TTL to match, so expired keys
 * go by themselves. ARGV: nowMs, deadlineMs, the key that stands for none, then per op a fixed group of 7 fields (kind, max,
 * windowMs, baseMs, maxMs, levelWindowMs, lock: '-' none, 'L' keep the count, 'R' reset it) whose keys are KEYS in a group of 4 (key,
 * lockKey, levelKey, onlyIfAbsent). The server's TIME is compared with the deadline first: a
 * script that runs after the caller gave up changes nothing.
 */
const STEP_SCRIPT = `
local now = tonumber(ARGV[1])
local deadline = tonumber(ARGV[2])
local t = redis.call('TIME')
local serverMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if serverMs > deadline then return {-2} end
local none = ARGV[3]
local n = (#ARGV - 3) / 7
local cache = {}
local function read(key)
  local w = cache[key]
  if w == nil then
    local v = redis.call('GET', key)
    if v then
      local sep = string.find(v, ':', 1, true)
      w = {tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))}
    else
      w = false
    end
    cache[key] = w
  end
  if w and w[2] > now then return w end
  return nil
end
local function write(key, points, expires)
  cache[key] = {points, expires}
  local ttl = expires - now
  if ttl > 0 then redis.call('SET', key, points .. ':' .. expires, 'PX', ttl) else redis.call('DEL', key) end
end
local function forget(key)
  cache[key] = false
  redis.call('DEL', key)
end
local function arg(i, f) return ARGV[3 + (i - 1) * 7 + f] end
local function key(i, f) return KEYS[(i - 1) * 4 + f] end
for i = 1, n do
  local kind = arg(i, 1)
  if kind == 'l' then
    local w = read(key(i, 1))
    if w and w[1] > 0 then return {-1, i - 1, w[2] - now} end
  elseif kind == 't' and arg(i, 7) == '-' then
    local w = read(key(i, 1))
    if w and w[1] >= tonumber(arg(i, 2)) then return {-1, i - 1, w[2] - now} end
  end
end
local absent = {}
for i = 1, n do
  if arg(i, 1) == 't' and key(i, 4) ~= none and not read(key(i, 4)) then absent[key(i, 4)] = true end
end
local function add(k, windowMs)
  local w = read(k)
  if w then write(k, w[1] + 1, w[2]); return w[1] + 1 end
  write(k, 1, now + windowMs)
  return 1
end
local out = {0}
for i = 1, n do
  local kind = arg(i, 1)
  local points, lockMs = 0, 0
  if kind == 't' then
    local only = key(i, 4)
    if only ~= none and not absent[only] then
      local w = read(key(i, 1))
      if w then points = w[1] end
    else
      points = add(key(i, 1), tonumber(arg(i, 3)))
      if arg(i, 7) ~= '-' and points >= tonumber(arg(i, 2)) then
        local level = add(key(i, 3), tonumber(arg(i, 6)))
        local doublings = math.min(math.max(level - 1, 0), 40)
        lockMs = math.min(tonumber(arg(i, 4)) * (2 ^ doublings), tonumber(arg(i, 5)))
        write(key(i, 2), 1, now + lockMs)
        if arg(i, 7) == 'R' then forget(key(i, 1)) end
      end
    end
  elseif kind == 'f' then
    forget(key(i, 1))
  elseif kind == 'g' then
    local w = read(key(i, 1))
    if w and w[1] > 0 then write(key(i, 1), w[1] - 1, w[2]) end
  elseif kind == 'u' then
    forget(key(i, 1))
    local w = read(key(i, 3))
    if w and w[1] > 0 then write(key(i, 3), w[1] - 1, w[2]) end
  end
  out[#out + 1] = points
  out[#out + 1] = lockMs
end
return out
`;

const SCRIPT_SHA = createHash("sha1").update(STEP_SCRIPT).digest("hex");
const KIND_LETTER: Record<CounterOp["kind"], string> = { lock: "l", take: "t", forget: "f", giveBack: "g", unlock: "u" };

/**
 * Counters on Redis: each step is one script call (one round trip), atomic because Redis runs a
 * script to completion. A script's keys must share a Cluster slot, so every key carries the one
 * hash tag `{guard}`: on a Cluster the counters live on one node.
 */
export class RedisCounters implements CounterStore {
  readonly kind = "redis";
  readonly shared = true;
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  #connecting: Promise<void> | undefined;

  constructor(options: RedisCountersOptions) {
    this.#client = options.client;
    const prefix = options.keyPrefix ?? "otp:guard:";
    if (typeof prefix !== "string" || /[{}]/.test(prefix)) throw new TypeError("otp-actions: redisCounters keyPrefix must be a string without '{' or '}'");
    this.#prefix = `${prefix}{guard}:`;
  }

  async apply(step: CounterStep): Promise<StepResult> {
    const leftMs = step.deadlineMs - Date.now();
    if (leftMs <= 0) throw new StoreTimeoutError("guard", 0);
    const keys: string[] = [];
    const none = this.#key("-");
    const args: Array<string | number> = [step.nowMs, step.deadlineMs, none];
    for (const op of step.ops) {
      const take = op.kind === "take" ? op : undefined;
      const levelKey = op.kind === "unlock" ? op.levelKey : take?.lock?.levelKey;
      keys.push(this.#key(op.key), take?.lock ? this.#key(take.lock.key) : none, levelKey ? this.#key(levelKey) : none, take?.onlyIfAbsent !== undefined ? this.#key(take.onlyIfAbsent) : none);
      args.push(KIND_LETTER[op.kind], take?.max ?? 0, take?.windowMs ?? 0, take?.lock?.baseMs ?? 0, take?.lock?.maxMs ?? 0, take?.lock?.levelWindowMs ?? 0, take?.lock ? (take.lock.resetCount ? "R" : "L") : "-");
    }
    // Unused key slots name `none`, a key in the same slot that is never read or written.
    const reply = await withTimeout(async () => {
      await this.#connected();
      return this.#eval(keys, args);
    }, leftMs, "redis");
    if (reply[0] === -2) throw new StoreTimeoutError("guard", leftMs);
    if (reply[0] === -1) return { refused: { index: reply[1]!, retryAfterMs: reply[2]! }, results: [] };
    const results = step.ops.map((_, i) => {
      const lockMs = reply[2 + 2 * i]!;
      return lockMs > 0 ? { points: reply[1 + 2 * i]!, lockMs } : { points: reply[1 + 2 * i]! };
    });
    return { results };
  }

  async health(): Promise<void> {
    await this.#client.ping();
  }

  /**
   * A client built to connect lazily and queue nothing while offline (as the Redis store builds
   * its own) is connected on first use; every caller meanwhile waits for the one connection.
   */
  #connected(): Promise<void> | void {
    const client = this.#client;
    if (client.status === "ready") return;
    if (!["wait", "connecting", "connect", "reconnecting"].includes(client.status)) throw new Error(`redis is not connected (${client.status})`);
    this.#connecting ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        client.off("ready", onReady);
        client.off("end", onEnd);
        this.#connecting = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(new Error("redis connection ended"));
      client.once("ready", onReady);
      client.once("end", onEnd);
      if (client.status === "wait") client.connect().catch(() => undefined);
    });
    return this.#connecting;
  }

  #key(key: string): string {
    return `${this.#prefix}${key}`;
  }

  async #eval(keys: string[], args: Array<string | number>): Promise<number[]> {
    try {
      return (await this.#client.evalsha(SCRIPT_SHA, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      // A restarted or failed-over node has lost its script cache: EVAL runs and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return (await this.#client.eval(STEP_SCRIPT, keys.length, ...keys, ...args)) as number[];
    }
  }
}

export function redisCounters(options: RedisCountersOptions): RedisCounters {
  return new RedisCounters(options);
}
