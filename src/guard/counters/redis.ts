import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { RedisStore } from "../../stores/redis.js";
import { LEDGER_FUNCTIONS, RECORD_OUTCOMES } from "../../stores/redis-ledger-lua.js";
import type { RecordResult } from "../../contracts/ledger.js";
import { StoreTimeoutError, withTimeout } from "../../core/util/with-timeout.js";
import type { CounterOp, CounterStep, CounterStore, OpResult, StepResult } from "./counter-store.js";

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

/** Fields per op in the script's arguments. */
const FIELDS = 12;

/**
 * The step of `step.ts`, in Lua. A window is stored as "points:expiresAtMs" (the engine's clock)
 * with a Redis TTL to match, so expired keys go by themselves; windows are read once, changed in
 * a table, and only those that end the script changed are written.
 *
 * KEYS[1] is the ledger entry (or a key never touched), KEYS[2..] the counters. ARGV[1] the
 * deadline, compared first with the server's TIME (a script that runs after the caller gave up
 * changes nothing), ARGV[2] the ledger's epoch, ARGV[3] the step as one JSON array (decoded by
 * Redis's cjson, cheaper on both sides than an argument per field): the engine's now, the ledger
 * part ('-', 'o' open, 'r' record) and its two arguments, then the ops (see `encode`): phase
 * ('m' the step, 'a' after an approval, 'n' after a check that compared nothing), kind (l t f g
 * u), key, and the fields of its kind; key values index KEYS, 0 for none; lock mode '-' none, 'L'
 * keep the count, 'R' reset it. Unpacked once into rows of FIELDS values, in the order: phase,
 * kind, key, max, window, lock key, level key, only-if-absent key, lock mode, lock base, lock
 * max, level window.
 *
 * Reply: {-2} past the deadline; {-1, op, ms} refused; else {0, outcome, attempts, points and
 * lock ms per 'm' op}.
 */
const COUNTERS_LUA = `
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[1]) then return {-2} end
local epoch = ARGV[2]
local P = cjson.decode(ARGV[3])
local now, part = P[1], P[2]
-- Ops have the fields their kind needs, in the order of a(): unpacked here once.
local ops, at = {}, 5
while at <= #P do
  local kind = P[at + 1]
  local width = (kind == 't' and (P[at + 6] == '-' and 7 or 12)) or (kind == 'u' and 4) or 3
  local op = {P[at], kind, P[at + 2], 0, 0, 0, 0, 0, '-', 0, 0, 0}
  if kind == 't' then
    op[4], op[5], op[8], op[9] = P[at + 3], P[at + 4], P[at + 5], P[at + 6]
    if width == 12 then op[6], op[7], op[10], op[11], op[12] = P[at + 7], P[at + 8], P[at + 9], P[at + 10], P[at + 11] end
  elseif kind == 'u' then
    op[7] = P[at + 3]
  end
  ops[#ops + 1] = op
  at = at + width
end
local n = #ops
local function a(i, f) return ops[i][f] end
local cache, orig = {}, {}
local function read(k)
  local w = cache[k]
  if w == nil then
    local v = redis.call('GET', KEYS[k])
    if v then
      local sep = string.find(v, ':', 1, true)
      w = {tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))}
    else
      w = false
    end
    cache[k] = w
    orig[k] = w
  end
  if w and w[2] > now then return w end
  return nil
end
local function set(k, w)
  read(k)
  cache[k] = w
end
for i = 1, n do
  if a(i, 1) == 'm' then
    local kind = a(i, 2)
    if kind == 'l' then
      local w = read(a(i, 3))
      if w and w[1] > 0 then return {-1, i - 1, w[2] - now} end
    elseif kind == 't' and a(i, 9) == '-' then
      local w = read(a(i, 3))
      if w and w[1] >= a(i, 4) then return {-1, i - 1, w[2] - now} end
    end
  end
end
local absent = {}
for i = 1, n do
  local ak = a(i, 8)
  if a(i, 1) == 'm' and a(i, 2) == 't' and ak > 0 and not read(ak) then absent[ak] = true end
end
local function add(k, windowMs)
  local w = read(k)
  if w then
    set(k, {w[1] + 1, w[2]})
    return w[1] + 1
  end
  set(k, {1, now + windowMs})
  return 1
end
local function run(i)
  local kind, k = a(i, 2), a(i, 3)
  local points, lockMs = 0, 0
  if kind == 't' then
    local ak = a(i, 8)
    if ak > 0 and not absent[ak] then
      local w = read(k)
      if w then points = w[1] end
    else
      points = add(k, a(i, 5))
      local mode = a(i, 9)
      if mode ~= '-' and points >= a(i, 4) then
        local level = add(a(i, 7), a(i, 12))
        lockMs = math.min(a(i, 10) * (2 ^ math.min(math.max(level - 1, 0), 40)), a(i, 11))
        set(a(i, 6), {1, now + lockMs})
        if mode == 'R' then set(k, false) end
      end
    end
  elseif kind == 'f' then
    if read(k) then set(k, false) end
  elseif kind == 'g' then
    local w = read(k)
    if w and w[1] > 1 then set(k, {w[1] - 1, w[2]}) elseif w then set(k, false) end
  elseif kind == 'u' then
    if read(k) then
      set(k, false)
      local lk = a(i, 7)
      local w = read(lk)
      if w and w[1] > 0 then set(lk, {w[1] - 1, w[2]}) end
    end
  end
  return points, lockMs
end
local out = {0, 0, 0}
for i = 1, n do
  if a(i, 1) == 'm' then
    local points, lockMs = run(i)
    out[#out + 1] = points
    out[#out + 1] = lockMs
  end
end
if part == 'o' then
  ledger_open(KEYS[1], epoch, P[3], P[4])
elseif part == 'r' then
  local outcome, attempts = ledger_record(KEYS[1], epoch, P[3], P[4])
  out[2] = outcome
  out[3] = attempts
  local phase = outcome == 4 and 'a' or (outcome == 5 and '' or 'n')
  if phase ~= '' then
    for i = 1, n do
      if a(i, 1) == phase then run(i) end
    end
  end
end
for k, w in pairs(cache) do
  local o = orig[k]
  local old = o and o[2] > now and o or nil
  local new = w and w[2] > now and w or nil
  if new then
    if not old or old[1] ~= new[1] or old[2] ~= new[2] then redis.call('SET', KEYS[k], string.format('%d:%d', new[1], new[2]), 'PX', new[2] - now) end
  elseif old then
    redis.call('DEL', KEYS[k])
  end
end
return out
`;

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
  readonly #ledger: RedisStore | undefined;
  #connecting: Promise<void> | undefined;

  constructor(options: RedisCountersOptions) {
    this.#client = options.client;
    const prefix = options.keyPrefix ?? "otp:guard:";
    if (typeof prefix !== "string" || /[{}]/.test(prefix)) throw new TypeError("otp-actions: redisCounters keyPrefix must be a string without '{' or '}'");
    this.#prefix = `${prefix}{guard}:`;
    this.#ledger = options.ledger?.composable && options.ledger.client === options.client ? options.ledger : undefined;
    this.ledger = this.#ledger;
  }

  async apply(step: CounterStep): Promise<StepResult> {
    const leftMs = step.deadlineMs - Date.now();
    if (leftMs <= 0) throw new StoreTimeoutError("guard", 0);
    const part = step.ledger;
    if (part && !this.#ledger) throw new Error("otp-actions: these counters do not share the ledger's client");
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
    const reply = (
      part
        ? await this.#ledger!.evalWithEntry(BESIDE_LEDGER, part.id, step.deadlineMs, keys, [json])
        : await withTimeout(
            async () => {
              await this.#connected();
              return this.#eval([this.#key("-"), ...keys], [Math.floor(step.deadlineMs), "", json]);
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
      return (await this.#client.evalsha(ALONE.sha, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      // A restarted or failed-over node has lost its script cache: EVAL runs and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return (await this.#client.eval(ALONE.source, keys.length, ...keys, ...args)) as number[];
    }
  }
}

export function redisCounters(options: RedisCountersOptions): RedisCounters {
  return new RedisCounters(options);
}
