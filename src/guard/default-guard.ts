import { OtpError } from "../core/errors.js";
import type { CounterOp, CounterStore, LedgerPart, StepResult } from "./counters/counter-store.js";
import { MemoryCounters } from "./counters/memory.js";
import type { RecordResult } from "../contracts/ledger.js";
import type {
  CheckAttempt,
  Guard,
  GuardedCheck,
  GuardTiming,
  LedgerCheck,
  LedgerOpen,
  NoticeClaim,
  RefusedCheck,
  SendAttempt,
  SendReservation,
  UnlockRequest,
} from "../contracts/guard.js";
import { checkStep, refusedCheckStep, withLockout } from "./check-step.js";
import { noticeKey } from "./keys.js";
import { generationKey, subjectOf } from "./keys.js";
import { unlockStep } from "./unlock-step.js";
import { LIMITS, OFF, refusal, type PurposeLimits } from "./limits.js";
import {
  DEFAULT_LIMITS,
  refuseUnknownGuardOptions,
  resolveLimits,
  resolvePrefixVelocity,
  resolveWindow,
  type GuardOptions,
  type LimitWindow,
  type PrefixVelocitySettings,
} from "./options.js";
import { phoneMediumOf, sendStep } from "./send-step.js";
import { SmsPolicy } from "./sms.js";

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
  /** Takes an identifier's lockout-notice allowance on the guard's counters (see Guard.claimNotice). */
  claimNotice(claim: NoticeClaim): Promise<boolean>;
}

/** A send's reservation: the points to give back if it fails for want of a store. */
interface SendTaken extends SendReservation {
  readonly giveBack: CounterOp[];
}

/**
 * The abuse protection the engine calls around every send and check. Each call is one atomic
 * step on the counter store (see counters/step.ts), so every process that shares the backend
 * shares every limit, and a backend that cannot answer refuses (STORE_UNAVAILABLE): no limit is
 * ever decided by an empty counter of this process. What each step counts is built in
 * send-step.ts and check-step.ts; this class resolves the options and runs the steps.
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
    if (options.counters !== undefined && typeof options.counters?.apply !== "function")
      throw new TypeError("otp-actions: guard counters must be a counter store (memoryCounters(), sqliteCounters(), …)");
    this.#counters = options.counters ?? new MemoryCounters();
    if (options.onBackendError !== undefined && typeof options.onBackendError !== "function")
      throw new TypeError("otp-actions: guard onBackendError must be a function");
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

    if (
      options.smsCountries !== undefined &&
      (!Array.isArray(options.smsCountries) || options.smsCountries.some((code) => typeof code !== "string" || !/^[A-Z]{2}$/i.test(code)))
    ) {
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
    return [
      "a channel can deliver codes to phone numbers in every country: set the guard's smsCountries (OTP_SMS_COUNTRIES) to the countries you serve (SMS pumping).",
    ];
  }

  async send(attempt: SendAttempt, open?: LedgerOpen): Promise<SendReservation> {
    const startedAtMs = Date.now();
    const purposeLimits = this.#limitsOf(attempt.purpose);
    const phone = phoneMediumOf(attempt);
    if (phone) this.#sms.assertDeliverable(attempt.identifier.value, phone);
    const { ops, names, prefixTake, giveBack, generation } = sendStep(
      attempt,
      purposeLimits,
      phone,
      this.#prefixVelocity,
      this.#channelBudgets.get(attempt.channel),
    );
    const reservation: SendTaken = { kind: "send", giveBack };

    // The new code's entry opens in the same step where the counters share the ledger's backend;
    // not when the prefix's count may refuse this very send after it is taken.
    const together = open !== undefined && this.#counters.ledger === open.store && prefixTake === -1;
    const result = await this.#apply(
      ops,
      attempt,
      together ? { kind: "open", id: open.id, ttlMs: open.ttlMs, attempts: open.attempts } : undefined,
      generation,
    );
    if (result.refused) throw refusal(names[result.refused.index]!, result.refused.retryAfterMs);
    // The number that went over the prefix's budget started its block: it is refused too.
    const blocked = prefixTake === -1 ? undefined : result.results[prefixTake]!.lockMs;
    if (blocked !== undefined) throw refusal(LIMITS.prefixVelocity, blocked);
    if (open && !together) {
      try {
        await open.open();
      } catch (error) {
        // The ledger's failure used the send's whole bound: the give-back gets a bound of its own,
        // as long, or the refused start would still cost the identifier its cooldown.
        if (error instanceof OtpError && error.code === "STORE_UNAVAILABLE") {
          const elapsedMs = Date.now() - startedAtMs;
          const boundMs = Math.max(1, attempt.deadlineMs - startedAtMs);
          await this.sendFailed(reservation, { nowMs: attempt.nowMs + elapsedMs, deadlineMs: Date.now() + boundMs });
        }
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
    const step = checkStep(attempt, this.#limitsOf(attempt.purpose));
    const { ops, names, generation } = step;

    if (this.#counters.ledger === ledger.store) {
      // One step: the reservation, the ledger's check, and its settling. Within one atomic step
      // a lockout this check starts can be lifted only by this check, so both are named.
      const { onApproved, onNotCompared } = step.settle(true, true);
      const answer = await this.#apply(
        ops,
        attempt,
        {
          kind: "record",
          id: ledger.id,
          match: ledger.match,
          maxAttempts: ledger.maxAttempts,
          onApproved,
          onNotCompared,
        },
        generation,
      );
      if (answer.refused) throw refusal(names[answer.refused.index]!, answer.refused.retryAfterMs);
      const result = answer.record!;
      return result.outcome === "rejected" ? withLockout(result, step.notice(answer)) : { result };
    }

    const reserved = await this.#apply(ops, attempt, undefined, generation);
    if (reserved.refused) throw refusal(names[reserved.refused.index]!, reserved.refused.retryAfterMs);
    const started = step.notice(reserved);
    const { onApproved, onNotCompared } = step.settle(...step.started(reserved));
    let result: RecordResult;
    try {
      result = await ledger.record();
    } catch (error) {
      await this.#settle(onNotCompared, attempt, generation);
      throw error;
    }
    if (result.outcome === "rejected") return withLockout(result, started);
    await this.#settle(result.outcome === "approved" ? onApproved : onNotCompared, attempt, generation);
    return { result };
  }

  /** Settles a decided check: a failure here is reported, never the caller's (the points stay taken, which errs towards counting more). */
  async #settle(ops: CounterOp[], timing: GuardTiming, generation: string): Promise<void> {
    try {
      await this.#apply(ops, timing, undefined, generation);
    } catch (error) {
      this.#report(error);
    }
  }

  async refusedCheck(check: RefusedCheck): Promise<void> {
    const ops = refusedCheckStep(check, check.purpose === undefined ? this.#default : this.#limitsOf(check.purpose));
    if (!ops) return;
    try {
      await this.#apply(ops, check);
    } catch (error) {
      this.#report(error);
    }
  }

  async claimNotice(claim: NoticeClaim): Promise<boolean> {
    // A plain take of one point: the step refuses while a notice's window is live.
    const result = await this.#apply([{ kind: "take", key: noticeKey(claim.identifierHash), max: 1, windowMs: claim.windowMs }], claim);
    return result.refused === undefined;
  }

  async close(): Promise<void> {}

  async unlock(request: UnlockRequest): Promise<void> {
    await this.#apply(unlockStep(request), request, undefined, generationKey(subjectOf(request.purpose, request.identifierHash)));
  }

  async #apply(ops: CounterOp[], timing: GuardTiming, ledger?: LedgerPart, generation?: string): Promise<StepResult> {
    try {
      return await this.#counters.apply({
        ops,
        nowMs: timing.nowMs,
        deadlineMs: timing.deadlineMs,
        ...(ledger && { ledger }),
        ...(generation !== undefined && { generation }),
      });
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

function sameWindow(a: LimitWindow | null, b: LimitWindow | null): boolean {
  return a === b || (a !== null && b !== null && a.max === b.max && a.windowSeconds === b.windowSeconds);
}
