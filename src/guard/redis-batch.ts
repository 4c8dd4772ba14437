import type { Redis } from "ioredis";
import { StoreTimeoutError, withTimeout } from "../stores/timeout.js";

/** One counter operation, on a key in rate-limiter-flexible's format (value = points, TTL = window). */
export type BatchOp =
  /** Take one point, starting the window if the key is new (rate-limiter-flexible's consume). */
  | { kind: "take"; key: string; windowSeconds: number }
  /** Forget the key (a reset). */
  | { kind: "forget"; key: string }
  /** Give one point back if the key still exists. */
  | { kind: "giveBack"; key: string };

/** Per op: points after it, and milliseconds left in the window (0 for forget/giveBack). */
export type BatchResult = Array<[points: number, msLeft: number]>;

/** One point taken from a counter in rate-limiter-flexible's Redis format (value = points, TTL = window). */
const TAKE_POINT_LUA = `
local function takePoint(key, ttl)
  redis.call('SET', key, 0, 'EX', ttl, 'NX')
  local points = redis.call('INCRBY', key, 1)
  local left = redis.call('PTTL', key)
  if left == -1 then
    redis.call('EXPIRE', key, ttl)
    left = ttl * 1000
  end
  return points, left
end
`;

// Takes count as rate-limiter-flexible's Redis consume does, so both can work on the same keys.
const SCRIPT = `${TAKE_POINT_LUA}
local out = {}
for i = 1, #KEYS do
  local op = ARGV[2 * i - 1]
  local key = KEYS[i]
  if op == 't' then
    local points, left = takePoint(key, tonumber(ARGV[2 * i]))
    out[#out + 1] = points
    out[#out + 1] = left
  elseif op == 'f' then
    redis.call('del', key)
    out[#out + 1] = 0
    out[#out + 1] = 0
  else
    local points = 0
    if redis.call('exists', key) == 1 then points = redis.call('decr', key) end
    out[#out + 1] = points
    out[#out + 1] = 0
  end
end
return out
`;

const MAX_OPS_PER_CALL = 512;

/**
 * True when a failed `run` may still have its effect on Redis: it timed out, and a script that is
 * slow to answer has usually run already, or is still queued and will run. Sending its ops again
 * would apply them twice. Any other failure is taken as the script not having run (the
 * connection refused, the client offline), so the ops can be sent again.
 */
export function mayStillRun(error: unknown): boolean {
  return error instanceof StoreTimeoutError;
}

interface Pending {
  ops: BatchOp[];
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

type BatchClient = Redis & { otpGuardBatch(numberOfKeys: number, ...args: Array<string | number>): Promise<number[]> };

/**
 * The check path's counter calls on one Redis, gathered: every check that reaches the guard in the
 * same turn of the event loop shares one script call (atomic per key, in order), instead of one
 * round trip per counter per check. Multi-key scripts need every key in one slot, so this is only
 * used with a single Redis, never a Redis Cluster.
 */
export class RedisBatcher {
  readonly #client: BatchClient;
  readonly #timeoutMs: number;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(client: Redis, timeoutMs: number) {
    const batchClient = client as unknown as BatchClient;
    if (typeof batchClient.otpGuardBatch !== "function") client.defineCommand("otpGuardBatch", { lua: SCRIPT });
    this.#client = batchClient;
    this.#timeoutMs = timeoutMs;
  }

  static supports(client: Redis): boolean {
    return client.isCluster !== true && typeof client.defineCommand === "function";
  }

  run(ops: BatchOp[]): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    let start = 0;
    while (start < queue.length) {
      let count = 0;
      let end = start;
      while (end < queue.length && (count === 0 || count + queue[end]!.ops.length <= MAX_OPS_PER_CALL)) count += queue[end++]!.ops.length;
      void this.#call(queue.slice(start, end));
      start = end;
    }
  }

  async #call(batch: Pending[]): Promise<void> {
    const keys: string[] = [];
    const args: Array<string | number> = [];
    for (const pending of batch) {
      for (const op of pending.ops) {
        keys.push(op.key);
        args.push(op.kind === "take" ? "t" : op.kind === "forget" ? "f" : "g", op.kind === "take" ? op.windowSeconds : 0);
      }
    }
    try {
      const flat = await withTimeout(this.#client.otpGuardBatch(keys.length, ...keys, ...args), this.#timeoutMs, "redis");
      let at = 0;
      for (const pending of batch) {
        const result: BatchResult = pending.ops.map(() => {
          const pair: [number, number] = [Number(flat[at]), Number(flat[at + 1])];
          at += 2;
          return pair;
        });
        pending.resolve(result);
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
