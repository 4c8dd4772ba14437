import type { RecordResult } from "../contracts/ledger.js";
import type { CheckAttempt, GuardedCheck, LockoutNotice, RefusedCheck } from "../contracts/guard.js";
import type { CounterOp, LockSpec, StepResult } from "./counters/counter-store.js";
import {
  failuresKey,
  failuresPerIpKey,
  generationKey,
  ipKeyOf,
  lockLevelKey,
  NO_IP,
  pairFailuresKey,
  pairLockKey,
  pairLockLevelKey,
  subjectLockKey,
  subjectOf,
} from "./keys.js";
import { LIMITS, secondsOf, take, type PurposeLimits } from "./limits.js";

/** What settling a decided check applies: for an approval, or for a check that compared nothing. */
export interface Settling {
  onApproved: CounterOp[];
  onNotCompared: CounterOp[];
}

/** The counter ops of one check, the limit each lock or budget answers for, and how to settle it. */
export interface CheckStep {
  /** The reservation: a point on each budget before the code is compared. */
  ops: CounterOp[];
  /** The subject's generation key, which numbers its pair keys (read in the same step). */
  generation: string;
  /** The limit named when `ops[i]` refuses. */
  names: string[];
  /**
   * The settling ops, given which lockouts the reservation started (the pair's, the subject's):
   * a lockout this check starts is lifted again when its point turns out not to be a failure.
   */
  settle(pairStarted: boolean, factorStarted: boolean): Settling;
  /** Which lockouts a reservation's answer started: [the pair's, the subject's]. */
  started(result: StepResult): [pair: boolean, factor: boolean];
  /** The lockout a reservation's answer started, to report with a rejection. */
  notice(result: StepResult): LockoutNotice | undefined;
}

/**
 * The check step: the reservation of a point on each failure budget before the code is compared
 * (the point that fills a budget starts its lockout at once), and the settling that gives back
 * what turned out not to be a failure.
 */
export function checkStep(attempt: CheckAttempt, { limits, failureIpScope }: PurposeLimits): CheckStep {
  const subject = subjectOf(attempt.purpose, attempt.identifierHash);
  const ip = ipKeyOf(attempt.client);
  const windowMs = limits.failureWindowSeconds * 1000;
  const lockout = (key: string, levelKey = lockLevelKey(key)): LockSpec => ({
    key,
    levelKey,
    baseMs: limits.lockout.baseSeconds * 1000,
    maxMs: limits.lockout.maxSeconds * 1000,
    levelWindowMs: limits.lockout.levelWindowSeconds * 1000,
  });
  const pairLock = lockout(pairLockKey(subject, ip), pairLockLevelKey(subject, ip));
  const factorLock = lockout(subjectLockKey(subject));
  const pairKey = pairFailuresKey(subject, ip);
  const factorKey = failuresKey(subject);
  const ipKey = ip !== NO_IP && limits.failuresPerIp ? failuresPerIpKey(failureIpScope, ip) : undefined;
  const ops: CounterOp[] = [
    { kind: "lock", key: factorLock.key },
    { kind: "lock", key: pairLock.key },
    ...(ipKey ? [take(ipKey, limits.failuresPerIp!)] : []),
    { kind: "take", key: pairKey, max: limits.failuresPerIdentifierAndIp, windowMs, lock: pairLock },
    { kind: "take", key: factorKey, max: limits.failuresPerIdentifier, windowMs, lock: factorLock },
  ];
  const names = [LIMITS.failuresPerIdentifier, LIMITS.failuresPerIdentifierAndIp, ...(ipKey ? [LIMITS.failuresPerIp] : [])];
  // Which lockout a check starts is known only from the step's answer; lifting one it did not
  // start is harmless only if none is live, so the unlocks are conditional on what the step reports.
  const settle = (pairStarted: boolean, factorStarted: boolean): Settling => {
    const unlocks: CounterOp[] = [
      ...(pairStarted ? [{ kind: "unlock", key: pairLock.key, levelKey: pairLock.levelKey } as const] : []),
      ...(factorStarted ? [{ kind: "unlock", key: factorLock.key, levelKey: factorLock.levelKey } as const] : []),
    ];
    return {
      onApproved: [
        { kind: "forget", key: pairKey },
        { kind: "forget", key: factorKey },
        ...(ipKey ? [{ kind: "giveBack", key: ipKey } as const] : []),
        ...unlocks,
      ],
      onNotCompared: [{ kind: "giveBack", key: pairKey }, { kind: "giveBack", key: factorKey }, ...unlocks],
    };
  };
  const lockMs = (result: StepResult): [pair: number | undefined, factor: number | undefined] => [
    result.results[ops.length - 2]!.lockMs,
    result.results[ops.length - 1]!.lockMs,
  ];
  return {
    ops,
    generation: generationKey(subject),
    names,
    settle,
    started(result) {
      const [pairMs, factorMs] = lockMs(result);
      return [pairMs !== undefined, factorMs !== undefined];
    },
    notice(result) {
      const [pairMs, factorMs] = lockMs(result);
      if (factorMs !== undefined) return { limit: LIMITS.failuresPerIdentifier, retryAfterSeconds: secondsOf(factorMs) };
      if (pairMs !== undefined) return { limit: LIMITS.failuresPerIdentifierAndIp, retryAfterSeconds: secondsOf(pairMs) };
      return undefined;
    },
  };
}

/** A rejected check's result, with the lockout it started if any. */
export function withLockout(result: RecordResult, lockout: LockoutNotice | undefined): GuardedCheck {
  return lockout ? { result, lockout } : { result };
}

/**
 * A check refused before any comparison: counted on its IP's failure budget, not judged (it is
 * refused already; the next one from this IP meets the budget), never on the identifier's.
 * Undefined when there is nothing to count (no IP, or no per-IP budget).
 */
export function refusedCheckStep(check: RefusedCheck, { limits, failureIpScope }: PurposeLimits): CounterOp[] | undefined {
  const ip = ipKeyOf(check.client);
  if (ip === NO_IP || !limits.failuresPerIp) return undefined;
  const window = limits.failuresPerIp;
  return [{ kind: "take", key: failuresPerIpKey(failureIpScope, ip), max: Number.MAX_SAFE_INTEGER, windowMs: window.windowSeconds * 1000 }];
}
