/**
 * Generations of keys. A key that ends in `GENERATION_MARK` is a template: a step that names a
 * `generation` key reads its points first, in the same atomic step, and the mark becomes that
 * number. Raising the generation retires every key made under the old one (they expire unread),
 * which is how the lockouts of one identifier from every IP are lifted without listing the IPs.
 */
import type { CounterOp, CounterStep } from "./counter-store.js";

/** Ends a key that is numbered by the step's generation. */
export const GENERATION_MARK = "#g";

/**
 * The key for a generation: generation 0 (never raised) is the key without its mark, so keys
 * made before generations existed keep counting.
 */
export function keyOfGeneration(key: string, generation: number): string {
  if (!key.endsWith(GENERATION_MARK)) return key;
  const base = key.slice(0, -GENERATION_MARK.length);
  return generation > 0 ? `${base}#${generation}` : base;
}

function opOfGeneration(op: CounterOp, generation: number): CounterOp {
  const key = keyOfGeneration(op.key, generation);
  switch (op.kind) {
    case "unlock":
      return { ...op, key, levelKey: keyOfGeneration(op.levelKey, generation) };
    case "take": {
      const lock = op.lock && {
        ...op.lock,
        key: keyOfGeneration(op.lock.key, generation),
        levelKey: keyOfGeneration(op.lock.levelKey, generation),
      };
      return {
        ...op,
        key,
        ...(lock && { lock }),
        ...(op.onlyIfAbsent !== undefined && { onlyIfAbsent: keyOfGeneration(op.onlyIfAbsent, generation) }),
      };
    }
    default:
      return { ...op, key };
  }
}

/** The step with its marked keys numbered by `generation` (and its generation key dropped). */
export function stepOfGeneration(step: CounterStep, generation: number): CounterStep {
  const { generation: _key, ...rest } = step;
  const ops = (list: readonly CounterOp[]) => list.map((op) => opOfGeneration(op, generation));
  const ledger =
    rest.ledger?.kind === "record"
      ? { ...rest.ledger, onApproved: ops(rest.ledger.onApproved), onNotCompared: ops(rest.ledger.onNotCompared) }
      : rest.ledger;
  return { ...rest, ops: ops(rest.ops), ...(ledger && { ledger }) };
}

/** A generation as read from its window: its points while live, else 0. */
export function generationOf(window: { points: number; expiresAtMs: number } | undefined, nowMs: number): number {
  return window !== undefined && window.expiresAtMs > nowMs ? window.points : 0;
}
