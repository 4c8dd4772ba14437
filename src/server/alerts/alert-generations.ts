/**
 * Which alerts fire, shared by the instances on one store, so that each change is posted once: a
 * generation per alert, kept as a mark through the ledger's `advance` primitive (it only rises).
 * Even: resolved; odd: firing. An instance that sees a change reads the generation and claims the
 * next one; only the instance whose claim advanced posts. The key names the rule and a hash of its
 * definition, so a renamed or changed rule is a new alert and never inherits another's firing.
 */
import { createHash } from "node:crypto";
import type { LedgerStore } from "../../contracts/ledger.js";
import { DEFAULT_CLOCK_SKEW_MS, withTimeout } from "../../core/util/with-timeout.js";
import type { AlertRule } from "./rules.js";

/**
 * How long a generation lives after its last change: far beyond any window (a day at most), so a
 * firing outlives it only when it lasts a month; even then an instance that saw the generation
 * writes it back before it claims the next one.
 */
export const ALERT_GENERATION_TTL_MS = 30 * 24 * 3600 * 1000;

/** What a claim found: whether this instance won it, and the generation in force after it. */
export interface GenerationClaim {
  won: boolean;
  generation: number;
}

/** Whether a generation says firing. */
export function firingGeneration(generation: number): boolean {
  return generation % 2 === 1;
}

/** The rule's definition, keys sorted, hashed: a short, stable part of its mark's key. */
function definitionHash(rule: AlertRule): string {
  const sorted = Object.fromEntries(Object.entries(rule).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}

/**
 * The mark's key: rule names are `[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}` (rules.ts), so the key is at
 * most 87 characters any store keeps as it is; its ':' keeps it apart from verification ids.
 */
export function generationKey(rule: AlertRule): string {
  return `alert:${rule.name}:${definitionHash(rule)}`;
}

/** The generations in a store that has marks. Every call is bounded; a store that does not answer rejects, and nothing was applied. */
export class AlertGenerations {
  readonly #store: LedgerStore;
  readonly #advance: NonNullable<LedgerStore["advance"]>;
  readonly #timeoutMs: number;

  /** Undefined for a store without marks (`advance`): each instance then keeps its own alerts. */
  static of(store: LedgerStore | undefined, timeoutMs: number): AlertGenerations | undefined {
    return store && typeof store.advance === "function" ? new AlertGenerations(store, timeoutMs) : undefined;
  }

  private constructor(store: LedgerStore, timeoutMs: number) {
    this.#store = store;
    this.#advance = store.advance!.bind(store);
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The generation in force. `known` (what this instance last saw) is written back when the mark
   * is gone, so generations never go back while an instance remembers them.
   */
  async read(key: string, known = 0): Promise<number> {
    return (await this.#call(key, known)).value;
  }

  /** Claims `next` (the generation read plus one); won only by the one call that raised the mark to it. */
  async claim(key: string, next: number): Promise<GenerationClaim> {
    const result = await this.#call(key, next);
    return { won: result.advanced && result.value === next, generation: result.value };
  }

  #call(key: string, value: number) {
    if (this.#store.inProcess) return this.#advance(key, value, ALERT_GENERATION_TTL_MS);
    // As the engine's calls: the store refuses to apply past a deadline a little before ours, so a
    // claim that timed out here changed nothing and no change goes unposted.
    const deadlineMs = Date.now() + this.#timeoutMs - Math.min(DEFAULT_CLOCK_SKEW_MS, this.#timeoutMs / 4);
    return withTimeout(() => this.#advance(key, value, ALERT_GENERATION_TTL_MS, { deadlineMs }), this.#timeoutMs, this.#store.kind);
  }
}
