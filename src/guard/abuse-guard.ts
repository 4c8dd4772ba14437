import { OtpError } from "../core/errors.js";
import { CounterFactory } from "./backend.js";
import { ipLimitKey } from "./client-ip.js";
import { Counter, type Consumed } from "./counter.js";
import { mayStillRun, type BatchOp, type BatchResult } from "./redis-batch.js";
import type { CheckAttempt, Guard, LockoutNotice, SendAttempt } from "./guard.js";
import {
  DEFAULT_CHANNEL_BUDGET,
  DEFAULT_LIMITS,
  DEFAULT_SMS_CHANNELS,
  integerIn,
  refuseUnknownGuardOptions,
  resolveLimits,
  resolvePrefixVelocity,
  resolveWindow,
  type GuardOptions,
  type LimitWindow,
  type PrefixVelocitySettings,
  type ResolvedLimits,
} from "./options.js";
import { numberPrefix, SmsPolicy } from "./sms.js";

/** Limit names, as they appear in `RATE_LIMITED` errors and `rate_limited` / `locked_out` events. */
export const LIMITS = {
  resendCooldown: "resend_cooldown",
  sendsPerIdentifier: "sends_per_identifier",
  sendsPerIp: "sends_per_ip",
  channelBudget: "channel_budget",
  prefixVelocity: "prefix_velocity",
  failuresPerIdentifier: "failures_per_identifier",
  failuresPerIp: "failures_per_ip",
} as const;

const KEY_PREFIX = /^[A-Za-z0-9_.:-]{1,32}$/;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Lockout levels never run out: the counter only numbers them. */
const UNBOUNDED = 1_000_000_000;

/** The counters one purpose uses. Purposes without overrides share the default set. */
interface PurposeCounters {
  limits: ResolvedLimits;
  cooldown: Counter | null;
  sendsPerIdentifier: Counter | null;
  sendsPerIp: Counter | null;
  /** Consecutive failures; a lockout is this counter blocked for the lockout's length. */
  failures: Counter;
  lockoutLevels: Counter;
  failuresPerIp: Counter | null;
  /** IP counters of a purpose with its own IP settings are its own; otherwise shared ("*"). */
  sendIpScope: string;
  failureIpScope: string;
}

/** What `beforeCheck` took, given back or turned into a lockout by `afterCheck`. */
interface Reservation {
  counters: PurposeCounters;
  subject: string;
  ipKey: string | undefined;
  /** Set when this check used the last point of the budget and so started a lockout. */
  lockoutSeconds: number | undefined;
}

export interface AbuseGuard extends Guard {
  /** The backend counters live on: "memory", "redis", "postgres" or "sqlite". */
  readonly backend: string;
  /**
   * Configuration a production start should warn about, given the configured channel names
   * (today: SMS channels with no `smsCountries` allow-list).
   */
  warnings(channelNames: readonly string[]): string[];
  /** Waits for the releases after successful checks that are still in flight. */
  close(): Promise<void>;
}

/**
 * The abuse protection the engine calls around every send and check. Counters are atomic on the
 * backend, so every process that shares it shares every limit.
 *
 * Checks reserve a failure before the code is compared and give it back on success: parallel
 * guesses can never evaluate more than the failure budget, and a check that was let through but
 * never evaluated (a spent or revoked context) counts as a failure.
 */
export class DefaultGuard implements AbuseGuard {
  readonly #factory: CounterFactory;
  readonly #keyPrefix: string;
  readonly #default: PurposeCounters;
  readonly #purposes = new Map<string, PurposeCounters>();
  /** Per channel with a budget; a channel absent here has none. */
  readonly #channelBudgets = new Map<string, Counter>();
  readonly #sms: SmsPolicy;
  readonly #prefixVelocity: Required<PrefixVelocitySettings> | null;
  readonly #prefixCounter: Counter | null;
  readonly #reservations = new WeakMap<CheckAttempt, Reservation>();
  readonly #onBackendError: (error: unknown) => void;
  readonly #releasing = new Set<Promise<void>>();
  /** Lockouts being started, per failure key: checks that find the same full count join one. */
  readonly #startingLockouts = new Map<string, Promise<number>>();

  constructor(options: GuardOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: createGuard needs an options object");
    refuseUnknownGuardOptions(options);
    const backend = options.backend ?? { kind: "memory" };
    if (!["memory", "redis", "postgres", "sqlite"].includes(backend.kind)) throw new TypeError("otp-actions: guard backend.kind must be memory, redis, postgres or sqlite");
    if (backend.kind === "redis" && !backend.client) throw new TypeError("otp-actions: guard backend redis needs `client` (an ioredis client)");
    if (backend.kind === "postgres" && !backend.pool) throw new TypeError("otp-actions: guard backend postgres needs `pool` (a pg Pool)");
    if (backend.kind === "sqlite" && !backend.database) throw new TypeError("otp-actions: guard backend sqlite needs `database` (a better-sqlite3 Database)");
    this.#keyPrefix = options.keyPrefix ?? "otp";
    if (!KEY_PREFIX.test(this.#keyPrefix)) throw new TypeError("otp-actions: guard keyPrefix must be 1-32 characters of [A-Za-z0-9_.:-]");
    const tableName = options.tableName ?? "otp_guard_limits";
    if (!TABLE_NAME.test(tableName)) throw new TypeError("otp-actions: guard tableName must be a plain SQL identifier");
    if (options.insurance !== undefined && typeof options.insurance !== "boolean") throw new TypeError("otp-actions: guard insurance must be a boolean");
    this.#factory = new CounterFactory(backend, {
      tableName,
      insurance: options.insurance ?? true,
      timeoutMs: integerIn("timeoutMs", options.timeoutMs ?? 500, 1, 60_000),
    });
    this.#onBackendError = options.onBackendError ?? (() => {});

    const defaults = resolveLimits(DEFAULT_LIMITS, options, "options");
    this.#default = this.#countersFor(defaults, undefined, undefined);
    for (const [purpose, overrides] of Object.entries(options.purposes ?? {})) {
      this.#purposes.set(purpose, this.#countersFor(resolveLimits(defaults, overrides, `purposes.${purpose}`), purpose, this.#default));
    }

    const smsChannels = options.smsChannels ?? DEFAULT_SMS_CHANNELS;
    if (!Array.isArray(smsChannels) || smsChannels.some((name) => typeof name !== "string")) throw new TypeError("otp-actions: guard smsChannels must be a list of channel names");
    if (options.smsCountries !== undefined && (!Array.isArray(options.smsCountries) || options.smsCountries.some((code) => !/^[A-Z]{2}$/i.test(code)))) {
      throw new TypeError("otp-actions: guard smsCountries must be a list of ISO 3166 alpha-2 codes");
    }
    this.#sms = new SmsPolicy({ smsChannels, smsCountries: options.smsCountries, smsNumberTypes: options.smsNumberTypes });
    if (options.channelBudgets !== undefined && (typeof options.channelBudgets !== "object" || options.channelBudgets === null)) {
      throw new TypeError("otp-actions: guard channelBudgets must be an object of channel name → { max, windowSeconds } or false");
    }
    const channelBudgets: Record<string, LimitWindow | false> = { ...Object.fromEntries(smsChannels.map((name) => [name, DEFAULT_CHANNEL_BUDGET])), ...options.channelBudgets };
    for (const [channel, setting] of Object.entries(channelBudgets)) {
      const window = resolveWindow(`channelBudgets.${channel}`, setting, null);
      if (window) this.#channelBudgets.set(channel, this.#counter(LIMITS.channelBudget, window.max, window.windowSeconds));
    }
    this.#prefixVelocity = resolvePrefixVelocity(options.prefixVelocity);
    this.#prefixCounter = this.#prefixVelocity && this.#counter(LIMITS.prefixVelocity, this.#prefixVelocity.maxNumbers, this.#prefixVelocity.windowSeconds);
  }

  get backend(): string {
    return this.#factory.kind;
  }

  warnings(channelNames: readonly string[]): string[] {
    const sms = channelNames.filter((name) => this.#sms.isSmsChannel(name));
    if (sms.length === 0 || this.#sms.hasCountryList) return [];
    return [`SMS channels (${sms.join(", ")}) can send to every country: set the guard's smsCountries to the countries you serve (SMS pumping).`];
  }

  async beforeSend(attempt: SendAttempt): Promise<void> {
    const counters = this.#purposes.get(attempt.purpose) ?? this.#default;
    const subject = this.#subject(attempt.purpose, attempt.identifierHash);
    const sms = attempt.identifier.kind === "phone" && this.#sms.isSmsChannel(attempt.channel);
    if (sms) this.#sms.assertDeliverable(attempt.identifier.value, attempt.channel);

    // No codes to an identifier + purpose that is locked out: they could not be used anyway.
    const lock = await counters.failures.peek(subject);
    if (lock && lock.consumed > counters.limits.failuresPerIdentifier) throw await this.#failuresRefusal(counters, subject, lock.retryAfterSeconds);

    // In order, stopping at the first refusal, so a refused send never uses up a later (wider) budget.
    if (counters.cooldown) await take(counters.cooldown, subject);
    const perIdentifier = counters.sendsPerIdentifier && (await take(counters.sendsPerIdentifier, subject));
    const ip = attempt.client?.ip;
    if (ip && counters.sendsPerIp) await take(counters.sendsPerIp, `${counters.sendIpScope}:${ipLimitKey(ip)}`);
    if (sms && this.#prefixCounter) await this.#checkPrefix(attempt.identifier.value, perIdentifier === null || perIdentifier.consumed === 1);
    const budget = this.#channelBudgets.get(attempt.channel);
    if (budget) await take(budget, attempt.channel);
  }

  async beforeCheck(attempt: CheckAttempt): Promise<void> {
    const counters = this.#purposes.get(attempt.purpose) ?? this.#default;
    const subject = this.#subject(attempt.purpose, attempt.identifierHash);
    const ip = attempt.client?.ip;
    const ipKey = ip && counters.failuresPerIp ? failureIpKey(counters, ip) : undefined;
    const [failures, perIp] = counters.failures.local ? reserveNow(counters, subject, ipKey) : await this.#reserve(counters, subject, ipKey);
    // Refused by the lockout: this check is never evaluated; it still counts against the IP.
    if (!failures.allowed) throw await this.#failuresRefusal(counters, subject, failures.retryAfterSeconds);
    if (perIp && !perIp.allowed) {
      // Refused by the IP: the identifier's owner must not pay for someone else's spraying.
      await counters.failures.refund(subject);
      throw refusal(LIMITS.failuresPerIp, perIp.retryAfterSeconds);
    }
    // This check takes the last point of the budget (exactly one check can): the lockout starts
    // now, before the code is compared, so it holds even if the check is never evaluated; a
    // success lifts it again.
    const lockoutSeconds = failures.consumed === counters.limits.failuresPerIdentifier ? await this.#lockOut(counters, subject) : undefined;
    this.#reservations.set(attempt, { counters, subject, ipKey, lockoutSeconds });
  }

  async afterCheck(attempt: CheckAttempt, success: boolean): Promise<LockoutNotice | void> {
    const reservation = this.#reservations.get(attempt);
    if (!reservation) return;
    this.#reservations.delete(attempt);
    const { counters, subject, ipKey, lockoutSeconds } = reservation;
    if (!success) return lockoutSeconds === undefined ? undefined : { limit: LIMITS.failuresPerIdentifier, retryAfterSeconds: lockoutSeconds };
    if (counters.failures.local) {
      // In memory: applied at once, nothing to wait for and nothing that can fail.
      counters.failures.resetNow(subject);
      if (ipKey) counters.failuresPerIp!.refundNow(ipKey);
      if (lockoutSeconds !== undefined) counters.lockoutLevels.refundNow(subject);
      return;
    }
    // A success ends the run of consecutive failures (and a lockout this check started); the
    // IP's reservation is given back. The check is decided: a backend failure here is reported,
    // never turned into the caller's error. Not awaited (but on Postgres): the calls are already
    // queued on the backend's one connection (or applied: SQLite), so a later check of this
    // subject sees them.
    const release = Promise.all([this.#release(counters, subject, ipKey), lockoutSeconds === undefined ? undefined : counters.lockoutLevels.refund(subject)])
      .then(
        () => undefined,
        (error: unknown) => this.#report(error),
      )
      .finally(() => this.#releasing.delete(release));
    this.#releasing.add(release);
    if (!this.#factory.keepsOrder) await release;
  }

  #report(error: unknown): void {
    try {
      this.#onBackendError(error);
    } catch {
      // A throwing error hook must not turn a decided check into a failure.
    }
  }

  /** One failure taken for the subject (and the IP): on Redis in the shared batch, else per counter. */
  async #reserve(counters: PurposeCounters, subject: string, ipKey: string | undefined): Promise<[Consumed, Consumed | undefined]> {
    const batcher = this.#factory.batcher;
    if (!batcher) return consumeEach(counters, subject, ipKey);
    const ops: BatchOp[] = [{ kind: "take", key: counters.failures.storeKey(subject), windowSeconds: counters.failures.windowSeconds }];
    if (ipKey) ops.push({ kind: "take", key: counters.failuresPerIp!.storeKey(ipKey), windowSeconds: counters.failuresPerIp!.windowSeconds });
    let batched: BatchResult;
    try {
      batched = await batcher.run(ops);
    } catch (error) {
      // A timed-out batch may still take its points on Redis: taking them again there would count
      // this failure twice, so it is counted in memory only (or refused without insurance). A batch
      // that never ran falls back to the counters themselves (timeouts, insurance, fail-closed).
      return mayStillRun(error) ? consumeInInsurance(counters, subject, ipKey, error) : consumeEach(counters, subject, ipKey);
    }
    return [counters.failures.judge(...batched[0]!), ipKey ? counters.failuresPerIp!.judge(...batched[1]!) : undefined];
  }

  /** A success: the subject's failures forgotten, the IP's reservation given back. */
  async #release(counters: PurposeCounters, subject: string, ipKey: string | undefined): Promise<void> {
    const batcher = this.#factory.batcher;
    if (!batcher) return releaseEach(counters, subject, ipKey);
    const ops: BatchOp[] = [{ kind: "forget", key: counters.failures.storeKey(subject) }];
    if (ipKey) ops.push({ kind: "giveBack", key: counters.failuresPerIp!.storeKey(ipKey) });
    try {
      await batcher.run(ops);
    } catch (error) {
      // As in `#reserve`: a timed-out batch may still land, and a second give-back would return
      // the IP two points for one.
      return mayStillRun(error) ? releaseInInsurance(counters, subject, ipKey, error) : releaseEach(counters, subject, ipKey);
    }
  }

  /**
   * The refusal of a check or send by a failure count over the maximum. A lockout cuts the count's
   * wait short; a count that got there with no lockout (its start failed, another process stopped
   * in between, or insurance decided while the backend counted) would refuse until the whole
   * failure window ends, so the lockout starts now. No lockout lasts longer than
   * `lockout.maxSeconds`, so a wait within it is left alone: refusals during a lockout can never
   * restart or extend it.
   */
  async #failuresRefusal(counters: PurposeCounters, subject: string, retryAfterSeconds: number): Promise<OtpError> {
    if (retryAfterSeconds <= counters.limits.lockout.maxSeconds) return refusal(LIMITS.failuresPerIdentifier, retryAfterSeconds);
    try {
      return refusal(LIMITS.failuresPerIdentifier, await this.#lockOut(counters, subject));
    } catch (error) {
      // Refused either way: the count goes on refusing, and the next refusal tries again.
      this.#report(error);
      return refusal(LIMITS.failuresPerIdentifier, retryAfterSeconds);
    }
  }

  /**
   * Blocks the subject, each lockout within the level window twice as long as the last, capped.
   * Checks of this process that start the same lockout at once share one start, so they count
   * one level, not one each.
   */
  #lockOut(counters: PurposeCounters, subject: string): Promise<number> {
    const key = counters.failures.storeKey(subject);
    let starting = this.#startingLockouts.get(key);
    if (!starting) {
      starting = this.#startLockout(counters, subject).finally(() => this.#startingLockouts.delete(key));
      this.#startingLockouts.set(key, starting);
    }
    return starting;
  }

  async #startLockout(counters: PurposeCounters, subject: string): Promise<number> {
    const level = (await counters.lockoutLevels.consume(subject)).consumed;
    const seconds = lockoutSeconds(level, counters.limits.lockout);
    await counters.failures.block(subject, seconds);
    return seconds;
  }

  /** Waits for releases still in flight. Clients belong to the caller and stay open. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#releasing]);
  }

  async #checkPrefix(e164: string, firstSendToNumber: boolean): Promise<void> {
    const velocity = this.#prefixVelocity!;
    const counter = this.#prefixCounter!;
    const prefix = numberPrefix(e164, velocity.suffixDigits);
    if (!firstSendToNumber) {
      // Only new numbers count, but a blocked prefix refuses every number in it.
      const state = await counter.peek(prefix);
      if (state && state.consumed > velocity.maxNumbers) throw refusal(LIMITS.prefixVelocity, state.retryAfterSeconds);
      return;
    }
    const result = await counter.consume(prefix);
    if (result.allowed) return;
    if (result.consumed === velocity.maxNumbers + 1) {
      await counter.block(prefix, velocity.blockSeconds);
      throw refusal(LIMITS.prefixVelocity, velocity.blockSeconds);
    }
    throw refusal(LIMITS.prefixVelocity, result.retryAfterSeconds);
  }

  #countersFor(limits: ResolvedLimits, purpose: string | undefined, shared: PurposeCounters | undefined): PurposeCounters {
    const sameSendIp = shared !== undefined && sameWindow(shared.limits.sendsPerIp, limits.sendsPerIp);
    const sameFailureIp = shared !== undefined && sameWindow(shared.limits.failuresPerIp, limits.failuresPerIp);
    const window = (name: string, setting: LimitWindow | null): Counter | null => setting && this.#counter(name, setting.max, setting.windowSeconds);
    return {
      limits,
      cooldown: limits.resendCooldownSeconds > 0 ? this.#counter(LIMITS.resendCooldown, 1, limits.resendCooldownSeconds) : null,
      sendsPerIdentifier: window(LIMITS.sendsPerIdentifier, limits.sendsPerIdentifier),
      sendsPerIp: sameSendIp ? shared.sendsPerIp : window(LIMITS.sendsPerIp, limits.sendsPerIp),
      failures: this.#counter(LIMITS.failuresPerIdentifier, limits.failuresPerIdentifier, limits.failureWindowSeconds),
      lockoutLevels: this.#counter("lockout_level", UNBOUNDED, limits.lockout.levelWindowSeconds),
      failuresPerIp: sameFailureIp ? shared.failuresPerIp : window(LIMITS.failuresPerIp, limits.failuresPerIp),
      sendIpScope: sameSendIp || purpose === undefined ? "*" : purpose,
      failureIpScope: sameFailureIp || purpose === undefined ? "*" : purpose,
    };
  }

  #counter(limit: string, max: number, windowSeconds: number): Counter {
    const spec = { keyPrefix: `${this.#keyPrefix}:${limit}`, points: max, durationSeconds: windowSeconds };
    return new Counter(limit, spec, this.#factory);
  }

  /** Identifier + purpose, hash-tagged so one subject's counters share a Redis Cluster slot. */
  #subject(purpose: string, identifierHash: string): string {
    return `{${purpose}:${identifierHash}}`;
  }
}

/** Where an IP's failures count: per purpose when the purpose has its own IP budget. */
function failureIpKey(counters: PurposeCounters, ip: string): string {
  return `${counters.failureIpScope}:${ipLimitKey(ip)}`;
}

/** `#reserve` on counters in this process: synchronous, so atomic. */
function reserveNow(counters: PurposeCounters, subject: string, ipKey: string | undefined): [Consumed, Consumed | undefined] {
  return [counters.failures.consumeNow(subject), ipKey ? counters.failuresPerIp!.consumeNow(ipKey) : undefined];
}

/** `#reserve` on each counter: its own call, with its own timeout, insurance or fail-closed. */
function consumeEach(counters: PurposeCounters, subject: string, ipKey: string | undefined): Promise<[Consumed, Consumed | undefined]> {
  return Promise.all([counters.failures.consume(subject), ipKey ? counters.failuresPerIp!.consume(ipKey) : undefined]);
}

/** `#reserve` after a batch that may still land: in memory only, or STORE_UNAVAILABLE for `cause`. */
function consumeInInsurance(counters: PurposeCounters, subject: string, ipKey: string | undefined, cause: unknown): Promise<[Consumed, Consumed | undefined]> {
  return Promise.all([counters.failures.consumeInInsurance(subject, cause), ipKey ? counters.failuresPerIp!.consumeInInsurance(ipKey, cause) : undefined]);
}

/** `#release` on each counter. */
async function releaseEach(counters: PurposeCounters, subject: string, ipKey: string | undefined): Promise<void> {
  await Promise.all([counters.failures.reset(subject), ipKey ? counters.failuresPerIp!.refund(ipKey) : undefined]);
}

/** `#release` after a batch that may still land: in memory only, or STORE_UNAVAILABLE for `cause`. */
async function releaseInInsurance(counters: PurposeCounters, subject: string, ipKey: string | undefined, cause: unknown): Promise<void> {
  await Promise.all([counters.failures.resetInInsurance(subject, cause), ipKey ? counters.failuresPerIp!.refundInInsurance(ipKey, cause) : undefined]);
}

/** Consumes one point; refuses with the counter's limit name when the window is used up. */
async function take(counter: Counter, key: string): Promise<{ consumed: number }> {
  const result = await counter.consume(key);
  if (!result.allowed) throw refusal(counter.limit, result.retryAfterSeconds);
  return result;
}

function refusal(limit: string, retryAfterSeconds: number): OtpError {
  return new OtpError("RATE_LIMITED", { limit, retryAfterSeconds });
}

export function lockoutSeconds(level: number, lockout: { baseSeconds: number; maxSeconds: number }): number {
  const doublings = Math.min(Math.max(level - 1, 0), 40);
  return Math.min(lockout.baseSeconds * 2 ** doublings, lockout.maxSeconds);
}

function sameWindow(a: LimitWindow | null, b: LimitWindow | null): boolean {
  return a === b || (a !== null && b !== null && a.max === b.max && a.windowSeconds === b.windowSeconds);
}
