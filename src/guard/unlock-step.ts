import type { UnlockRequest } from "../contracts/guard.js";
import type { CounterOp } from "./counters/counter-store.js";
import { failuresKey, generationKey, lockLevelKey, subjectLockKey, subjectOf } from "./keys.js";

/**
 * A generation is kept far longer than any window of the keys it numbers (30 days at most): its
 * key is the one row a lift leaves for good, and a generation that ended would bring back
 * numbers already used.
 */
const GENERATION_KEPT_MS = 100 * 365 * 86_400_000;

/**
 * The step that lifts an identifier + purpose's lockouts: its lockout across IPs, with its level
 * and its run of failures, are dropped; its pairs with every IP (lockouts, levels, runs of
 * failures) are retired at once by raising the subject's generation, which their keys carry.
 * Each IP's own failure budget is not touched: an IP spraying guesses across identifiers gets
 * no fresh budget from an operator lifting one user's lockout.
 */
export function unlockStep(request: UnlockRequest): CounterOp[] {
  const subject = subjectOf(request.purpose, request.identifierHash);
  const lock = subjectLockKey(subject);
  return [
    { kind: "take", key: generationKey(subject), max: Number.MAX_SAFE_INTEGER, windowMs: GENERATION_KEPT_MS },
    { kind: "forget", key: lock },
    { kind: "forget", key: lockLevelKey(lock) },
    { kind: "forget", key: failuresKey(subject) },
  ];
}
