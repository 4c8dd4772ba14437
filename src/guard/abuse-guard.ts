import { OtpError } from "../core/errors.js";
import { ipLimitKey } from "../core/client-ip.js";
import type { CounterOp, CounterStore, LedgerPart, LockSpec, StepResult, TakeOp } from "./counters/counter-store.js";
import { MemoryCounters } from "./counters/memory.js";
import type { RecordResult } from "../contracts/ledger.js";
import type { CheckAttempt, Guard, GuardedCheck, GuardTiming, LedgerCheck, LedgerOpen, LockoutNotice, RefusedCheck, SendAttempt, SendReservation } from "../contracts/guard.js";
import {
  DEFAULT_CHANNEL_BUDGET,
  DEFAULT_LIMITS,
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

/** Limit names, as they appear in `RATE_LIMITED` errors (`limit`) and `rate_limited` / `locked_out` events. */
export const LIMITS = {
  resendCooldown: "resend_cooldown",
  sendsPerIdentifier: "sends_per_identifier",
  sendsPerIp: "sends_per_ip",
  channelBudget: "channel_budget",
  prefixVelocity: "prefix_velocity",
  failuresPerIdentifierAndIp: "failures_per_identifier_and_ip",
  failuresPerIdentifier: "failures_per_identifier",
  failuresPerIp: "failures_per_ip",
} as const;

/** The counter keys of a check without an IP share one bucket: such checks still lock quickly. */
const NO_IP = "none";

export interface AbuseGuard extends Guard {
  /** Where the counters live: "memory", "sqlite", "postgres" or "redis". */
  readonly backend: string;
  /** True when every process on the same backend shares the counts. */
  readonly shared: boolean;
  /**
   * Configuration a production start should warn about, given whether any channel can deliver
   * to phone numbers (today: no `smsCountries` allow-list).
   */
  warnings(deliversToPhones: boolean): string[];
}

/** A send's reservation: the points to give back if it fails for want of a store. */
interface SendTaken extends SendReservation {
  readonly giveBack: CounterOp[];
}

/** One purpose's resolved limits and where its IP counters count (its own when it has its own IP settings). */
interface PurposeLimits {
  limits: ResolvedLimits;
  sendIpScope: string;
  failureIpScope: string;
}

/**
 * The abuse protection the engine calls around every send and check. Each call is one atomic
 * step on the counter store (see counters/step.ts), so every process that shares the backend
 * shares every limit, and a backend that cannot answer refuses (STORE_UNAVAILABLE): no limit is
 * ever decided by an empty counter of this process.
 *
 * Checks reserve a failure point on every budget before the code is compared, so parallel
 * guesses can never evaluate more than a budget; the point that fills a budget starts its
 * lockout at once. Settling gives back what turned out not to be a failure: an approval clears
 * the runs of failures; a check that compared nothing (a spent, canceled or unknown context)
 * costs only its IP.
 */
export class DefaultGuard implements AbuseGuard {
  readonly #counters: CounterStore;
  readonly #default: PurposeLimits;
  readonly #purposes = new Map<string, PurposeLimits>();
  readonly #channelBudgets = new Map<string, LimitWindow>();
  readonly #sms: SmsPolicy;
  readonly #prefixVelocity: Required<PrefixVelocitySettings> | null;
  readonly #onBackendError: (error: unknown) => void;

  constructor(options: GuardOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: createGuard needs an options object");
    refuseUnknownGuardOptions(options);
    if (options.counters !== undefined && typeof options.counters?.apply !== "function") throw new TypeError("otp-actions: guard counters must be a counter store (memoryCounters(), sqliteCounters(), …)");
    this.#counters = options.counters ?? new MemoryCounters();
    if (options.onBackendError !== undefined && typeof options.onBackendError !== "function") throw new TypeError("otp-actions: guard onBackendError must be a function");
    this.#onBackendError = options.onBackendError ?? (() => {});

    const defaults = resolveLimits(DEFAULT_LIMITS, options, "options");
    this.#default = { limits: defaults, sendIpScope: "*", failureIpScope: "*" };
    for (const [purpose, overrides] of Object.entries(options.purposes ?? {})) {
      const limits = resolveLimits(defaults, overrides, `purposes.${purpose}`);
      this.#purposes.set(purpose, {
        limits,
        sendIpScope: sameWindow(defaults.sendsPerIp, limits.sendsPerIp) ? "*" : purpose,
        failureIpScope: sameWindow(defaults.failuresPerIp, limits.failuresPerIp) ? "*" : purpose,
      });
    }

    if (options.smsCountries !== undefined && (!Array.isArray(options.smsCountries) || options.smsCountries.some((code) => typeof code !== "string" || !/^[A-Z]{2}$/i.test(code)))) {
      throw new TypeError("otp-actions: guard smsCountries must be a list of ISO 3166 alpha-2 codes");
    }
    this.#sms = new SmsPolicy({ smsCountries: options.smsCountries, smsNumberTypes: options.smsNumberTypes });
    if (options.channelBudgets !== undefined && (typeof options.channelBudgets !== "object" || options.channelBudgets === null)) {
      throw new TypeError("otp-actions: guard channelBudgets must be an object of channel name → { max, windowSeconds } or false");
    }
    for (const [channel, setting] of Object.entries(options.channelBudgets ?? {})) {
      const window = resolveWindow(`channelBudgets.${channel}`, setting, null);
      this.#channelBudgets.set(channel, window ?? OFF);
    }
    this.#prefixVelocity = resolvePrefixVelocity(options.prefixVelocity);
  }

  get backend(): string {
    return this.#counters.kind;
  }

  get shared(): boolean {
    return this.#counters.shared;
  }

  warnings(deliversToPhones: boolean): string[] {
    if (!deliversToPhones || this.#sms.hasCountryList) return [];
    return ["a channel can deliver codes to phone numbers in every country: set the guard's smsCountries (OTP_SMS_COUNTRIES) to the countries you serve (SMS pumping)."];
  }

  async send(attempt: SendAttempt, open?: LedgerOpen): Promise<SendReservation> {
    const { limits, sendIpScope } = this.#limitsOf(attempt.purpose);
    const phone = attempt.identifier.kind === "phone" && attempt.medium !== "email" && attempt.medium !== "other" ? attempt.medium : undefined;
    if (phone) this.#sms.assertDeliverable(attempt.identifier.value, phone);
    const subject = subjectOf(attempt.purpose, attempt.identifierHash);
    const ip = ipKeyOf(attempt.client);
    const ops: CounterOp[] = [];
    const names: string[] = [];
    const add = (op: CounterOp, limit: string): void => {
      ops.push(op);
      names.push(limit);
    };
    // No codes to an identifier + purpose that is locked out (from this IP, or everywhere): they could not be used anyway.
    add({ kind: "lock", key: `lock:${subject}` }, LIMITS.failuresPerIdentifier);
    add({ kind: "lock", key: `lock:${subject}:${ip}` }, LIMITS.failuresPerIdentifierAndIp);
    if (limits.resendCooldownSeconds > 0) add({ kind: "take", key: `cooldown:${subject}`, max: 1, windowMs: limits.resendCooldownSeconds * 1000 }, LIMITS.resendCooldown);
    if (limits.sendsPerIdentifier) add(take(`sends:${subject}`, limits.sendsPerIdentifier), LIMITS.sendsPerIdentifier);
    if (ip !== NO_IP && limits.sendsPerIp) add(take(`sends_ip:${sendIpScope}:${ip}`, limits.sendsPerIp), LIMITS.sendsPerIp);
    let prefixTake = -1;
    if (phone && this.#prefixVelocity) {
      const velocity = this.#prefixVelocity;
      const prefix = `prefix:${numberPrefix(attempt.identifier.value, velocity.suffixDigits)}`;
      const windowMs = velocity.windowSeconds * 1000;
      const blockMs = velocity.blockSeconds * 1000;
      const seen = `seen:${attempt.identifier.value}`;
      // Only numbers new in the window count; a blocked prefix refuses every number in it.
      add({ kind: "lock", key: `block:${prefix}` }, LIMITS.prefixVelocity);
      add({ kind: "take", key: seen, max: Number.MAX_SAFE_INTEGER, windowMs }, LIMITS.prefixVelocity);
      prefixTake = ops.length;
      add(
        {
          kind: "take",
          key: prefix,
          max: velocity.maxNumbers + 1,
          windowMs,
          onlyIfAbsent: seen,
          lock: { key: `block:${prefix}`, levelKey: `block_level:${prefix}`, baseMs: blockMs, maxMs: blockMs, levelWindowMs: windowMs, resetCount: true },
        },
        LIMITS.prefixVelocity,
      );
    }
    const budget = this.#channelBudgets.get(attempt.channel) ?? (phone ? DEFAULT_CHANNEL_BUDGET : OFF);
    if (budget !== OFF) add(take(`channel:${attempt.channel}`, budget), LIMITS.channelBudget);
    // What a send that never happened gives back: its send budgets (a number counted for its prefix stays counted).
    const reservation: SendTaken = { kind: "send", giveBack: ops.flatMap((op): CounterOp[] => (op.kind === "take" && !op.lock && !op.key.startsWith("seen:") ? [{ kind: "giveBack", key: op.key }] : [])) };

    // The new code's entry opens in the same step where the counters share the ledger's backend;
    // not when the prefix's count may refuse this very send after it is taken.
    const together = open !== undefined && this.#counters.ledger === open.store && prefixTake === -1;
    const result = await this.#apply(ops, attempt, together ? { kind: "open", id: open.id, ttlMs: open.ttlMs, attempts: open.attempts } : undefined);
    if (result.refused) throw refusal(names[result.refused.index]!, result.refused.retryAfterMs);
    // The number that went over the prefix's budget started its block: it is refused too.
    const blocked = prefixTake === -1 ? undefined : result.results[prefixTake]!.lockMs;
    if (blocked !== undefined) throw refusal(LIMITS.prefixVelocity, blocked);
    if (open && !together) {
      try {
        await open.open();
      } catch (error) {
        if (error instanceof OtpError && error.code === "STORE_UNAVAILABLE") await this.sendFailed(reservation, attempt);
        throw error;
      }
    }
    return reservation;
  }

  async sendFailed(reservation: SendReservation, timing: GuardTiming): Promise<void> {
    const { giveBack } = reservation as SendTaken;
    if (giveBack.length === 0) return;
    try {
      await this.#apply(giveBack, timing);
    } catch (error) {
      this.#report(error);
    }
  }

  async check(attempt: CheckAttempt, ledger: LedgerCheck): Promise<GuardedCheck> {
    const { limits, failureIpScope } = this.#limitsOf(attempt.purpose);
    const subject = subjectOf(attempt.purpose, attempt.identifierHash);
    const ip = ipKeyOf(attempt.client);
    const windowMs = limits.failureWindowSeconds * 1000;
    const lockout = (key: string): LockSpec => ({
      key,
      levelKey: `${key}:level`,
      baseMs: limits.lockout.baseSeconds * 1000,
      maxMs: limits.lockout.maxSeconds * 1000,
      levelWindowMs: limits.lockout.levelWindowSeconds * 1000,
    });
    const pairLock = lockout(`lock:${subject}:${ip}`);
    const factorLock = lockout(`lock:${subject}`);
    const pairKey = `failures:${subject}:${ip}`;
    const factorKey = `failures:${subject}`;
    const ipKey = ip !== NO_IP && limits.failuresPerIp ? `failures_ip:${failureIpScope}:${ip}` : undefined;
    // The reservation: a point on each budget before the code is compared; the point that fills
    // a budget starts its lockout at once.
    const ops: CounterOp[] = [
      { kind: "lock", key: factorLock.key },
      { kind: "lock", key: pairLock.key },
      ...(ipKey ? [take(ipKey, limits.failuresPerIp!)] : []),
      { kind: "take", key: pairKey, max: limits.failuresPerIdentifierAndIp, windowMs, lock: pairLock },
      { kind: "take", key: factorKey, max: limits.failuresPerIdentifier, windowMs, lock: factorLock },
    ];
    const names = [LIMITS.failuresPerIdentifier, LIMITS.failuresPerIdentifierAndIp, ...(ipKey ? [LIMITS.failuresPerIp] : [])];
    // A lockout this check starts is lifted again when its point turns out not to be a failure.
    // Which one it starts is known only from the step's answer; lifting one it did not start is
    // harmless only if none is live, so the unlocks are conditional on what the step reports.
    const settle = (pairStarted: boolean, factorStarted: boolean): { onApproved: CounterOp[]; onNotCompared: CounterOp[] } => {
      const unlocks: CounterOp[] = [
        ...(pairStarted ? [{ kind: "unlock", key: pairLock.key, levelKey: pairLock.levelKey } as const] : []),
        ...(factorStarted ? [{ kind: "unlock", key: factorLock.key, levelKey: factorLock.levelKey } as const] : []),
      ];
      return {
        onApproved: [{ kind: "forget", key: pairKey }, { kind: "forget", key: factorKey }, ...(ipKey ? [{ kind: "giveBack", key: ipKey } as const] : []), ...unlocks],
        onNotCompared: [{ kind: "giveBack", key: pairKey }, { kind: "giveBack", key: factorKey }, ...unlocks],
      };
    };
    const notice = (result: StepResult): LockoutNotice | undefined => {
      const [pairMs, factorMs] = [result.results[ops.length - 2]!.lockMs, result.results[ops.length - 1]!.lockMs];
      if (factorMs !== undefined) return { limit: LIMITS.failuresPerIdentifier, retryAfterSeconds: secondsOf(factorMs) };
      if (pairMs !== undefined) return { limit: LIMITS.failuresPerIdentifierAndIp, retryAfterSeconds: secondsOf(pairMs) };
      return undefined;
    };

    if (this.#counters.ledger === ledger.store) {
      // One step: the reservation, the ledger's check, and its settling. Within one atomic step
      // a lockout this check starts can be lifted only by this check, so both are named.
      const { onApproved, onNotCompared } = settle(true, true);
      const step = await this.#apply(ops, attempt, { kind: "record", id: ledger.id, match: ledger.match, maxAttempts: ledger.maxAttempts, onApproved, onNotCompared });
      if (step.refused) throw refusal(names[step.refused.index]!, step.refused.retryAfterMs);
      const result = step.record!;
      return result.outcome === "rejected" ? withLockout(result, notice(step)) : { result };
    }

    const reserved = await this.#apply(ops, attempt);
    if (reserved.refused) throw refusal(names[reserved.refused.index]!, reserved.refused.retryAfterMs);
    const started = notice(reserved);
    const { onApproved, onNotCompared } = settle(reserved.results[ops.length - 2]!.lockMs !== undefined, reserved.results[ops.length - 1]!.lockMs !== undefined);
    let result: RecordResult;
    try {
      result = await ledger.record();
    } catch (error) {
      await this.#settle(onNotCompared, attempt);
      throw error;
    }
    if (result.outcome === "rejected") return withLockout(result, started);
    await this.#settle(result.outcome === "approved" ? onApproved : onNotCompared, attempt);
    return { result };
  }

  /** Settles a decided check: a failure here is reported, never the caller's (the points stay taken, which errs towards counting more). */
  async #settle(ops: CounterOp[], timing: GuardTiming): Promise<void> {
    try {
      await this.#apply(ops, timing);
    } catch (error) {
      this.#report(error);
    }
  }

  async refusedCheck(check: RefusedCheck): Promise<void> {
    const ip = ipKeyOf(check.client);
    const { limits, failureIpScope } = check.purpose === undefined ? this.#default : this.#limitsOf(check.purpose);
    if (ip === NO_IP || !limits.failuresPerIp) return;
    // Counted, not judged: the check is refused already; the next one from this IP meets the budget.
    const window = limits.failuresPerIp;
    try {
      await this.#apply([{ kind: "take", key: `failures_ip:${failureIpScope}:${ip}`, max: Number.MAX_SAFE_INTEGER, windowMs: window.windowSeconds * 1000 }], check);
    } catch (error) {
      this.#report(error);
    }
  }

  async close(): Promise<void> {}

  async #apply(ops: CounterOp[], timing: GuardTiming, ledger?: LedgerPart): Promise<StepResult> {
    try {
      return await this.#counters.apply({ ops, nowMs: timing.nowMs, deadlineMs: timing.deadlineMs, ...(ledger && { ledger }) });
    } catch (error) {
      throw error instanceof OtpError ? error : new OtpError("STORE_UNAVAILABLE", { cause: error });
    }
  }

  #limitsOf(purpose: string): PurposeLimits {
    return this.#purposes.get(purpose) ?? this.#default;
  }

  #report(error: unknown): void {
    try {
      this.#onBackendError(error);
    } catch {
      // A throwing error hook must not turn a decided check into a failure.
    }
  }
}

/** A channel budget turned off. */
const OFF: LimitWindow = { max: 0, windowSeconds: 0 };

function take(key: string, window: LimitWindow): TakeOp {
  return { kind: "take", key, max: window.max, windowMs: window.windowSeconds * 1000 };
}

/**
 * Identifier + purpose: what failures and sends are counted for. The keyed hash's first 128 bits
 * are plenty to tell identifiers apart, and shorter keys cost less to hash and store.
 */
function subjectOf(purpose: string, identifierHash: string): string {
  return `${purpose}:${identifierHash.slice(0, 22)}`;
}

function ipKeyOf(client: { ip?: string } | undefined): string {
  const ip = client?.ip;
  return typeof ip === "string" && ip !== "" ? ipLimitKey(ip) : NO_IP;
}

function withLockout(result: RecordResult, lockout: LockoutNotice | undefined): GuardedCheck {
  return lockout ? { result, lockout } : { result };
}

function secondsOf(ms: number): number {
  return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

function refusal(limit: string, retryAfterMs: number): OtpError {
  return new OtpError("RATE_LIMITED", { limit, retryAfterSeconds: secondsOf(retryAfterMs) });
}

function sameWindow(a: LimitWindow | null, b: LimitWindow | null): boolean {
  return a === b || (a !== null && b !== null && a.max === b.max && a.windowSeconds === b.windowSeconds);
}
