import type { SendAttempt } from "../contracts/guard.js";
import type { CounterOp } from "./counters/counter-store.js";
import {
  channelKey,
  cooldownKey,
  generationKey,
  NO_IP,
  pairLockKey,
  prefixBlockKey,
  prefixBlockLevelKey,
  prefixKey,
  SEEN_PREFIX,
  seenNumberKey,
  sendsKey,
  sendsPerIpKey,
  subjectLockKey,
  subjectOf,
  ipKeyOf,
} from "./keys.js";
import { LIMITS, OFF, take, type PurposeLimits } from "./limits.js";
import { DEFAULT_CHANNEL_BUDGET, type LimitWindow, type PrefixVelocitySettings } from "./options.js";
import { numberPrefix } from "./sms.js";

/** The counter ops of one send, the limit each answers for, and what to give back if it never happens. */
export interface SendStep {
  ops: CounterOp[];
  /** The limit named when `ops[i]` refuses. */
  names: string[];
  /** The index of the prefix's count in `ops`, or -1 when the send is not counted for its prefix. */
  prefixTake: number;
  /** What a send that never happened gives back: its send budgets (a number counted for its prefix stays counted). */
  giveBack: CounterOp[];
  /** The subject's generation key, which numbers its pair lockout's key (read in the same step). */
  generation: string;
}

export type PhoneMedium = Exclude<SendAttempt["medium"], "email" | "other">;

/** The phone medium a send goes out on, or undefined when it does not go to a phone. */
export function phoneMediumOf(attempt: SendAttempt): PhoneMedium | undefined {
  return attempt.identifier.kind === "phone" && attempt.medium !== "email" && attempt.medium !== "other" ? attempt.medium : undefined;
}

/**
 * The send step: locks, cooldown, sends per identifier and per IP, prefix velocity and the
 * channel's budget, in the order they are judged.
 */
export function sendStep(
  attempt: SendAttempt,
  { limits, sendIpScope }: PurposeLimits,
  phone: PhoneMedium | undefined,
  prefixVelocity: Required<PrefixVelocitySettings> | null,
  channelBudget: LimitWindow | undefined,
): SendStep {
  const subject = subjectOf(attempt.purpose, attempt.identifierHash);
  const ip = ipKeyOf(attempt.client);
  const ops: CounterOp[] = [];
  const names: string[] = [];
  const add = (op: CounterOp, limit: string): void => {
    ops.push(op);
    names.push(limit);
  };
  // No codes to an identifier + purpose that is locked out (from this IP, or everywhere): they could not be used anyway.
  add({ kind: "lock", key: subjectLockKey(subject) }, LIMITS.failuresPerIdentifier);
  add({ kind: "lock", key: pairLockKey(subject, ip) }, LIMITS.failuresPerIdentifierAndIp);
  if (limits.resendCooldownSeconds > 0)
    add({ kind: "take", key: cooldownKey(subject), max: 1, windowMs: limits.resendCooldownSeconds * 1000 }, LIMITS.resendCooldown);
  if (limits.sendsPerIdentifier) add(take(sendsKey(subject), limits.sendsPerIdentifier), LIMITS.sendsPerIdentifier);
  if (ip !== NO_IP && limits.sendsPerIp) add(take(sendsPerIpKey(sendIpScope, ip), limits.sendsPerIp), LIMITS.sendsPerIp);
  let prefixTake = -1;
  if (phone && prefixVelocity) {
    const prefix = prefixKey(numberPrefix(attempt.identifier.value, prefixVelocity.suffixDigits));
    const windowMs = prefixVelocity.windowSeconds * 1000;
    const blockMs = prefixVelocity.blockSeconds * 1000;
    const seen = seenNumberKey(attempt.identifier.value);
    // Only numbers new in the window count; a blocked prefix refuses every number in it.
    add({ kind: "lock", key: prefixBlockKey(prefix) }, LIMITS.prefixVelocity);
    add({ kind: "take", key: seen, max: Number.MAX_SAFE_INTEGER, windowMs }, LIMITS.prefixVelocity);
    prefixTake = ops.length;
    add(
      {
        kind: "take",
        key: prefix,
        max: prefixVelocity.maxNumbers + 1,
        windowMs,
        onlyIfAbsent: seen,
        lock: {
          key: prefixBlockKey(prefix),
          levelKey: prefixBlockLevelKey(prefix),
          baseMs: blockMs,
          maxMs: blockMs,
          levelWindowMs: windowMs,
          resetCount: true,
        },
      },
      LIMITS.prefixVelocity,
    );
  }
  const budget = channelBudget ?? (phone ? DEFAULT_CHANNEL_BUDGET : OFF);
  if (budget !== OFF) add(take(channelKey(attempt.channel), budget), LIMITS.channelBudget);
  const giveBack = ops.flatMap((op): CounterOp[] =>
    op.kind === "take" && !op.lock && !op.key.startsWith(SEEN_PREFIX) ? [{ kind: "giveBack", key: op.key }] : [],
  );
  return { ops, names, prefixTake, giveBack, generation: generationKey(subject) };
}
