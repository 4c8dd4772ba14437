/**
 * The guard's counter contract, held against a backend: the semantics of one step (judge, then
 * apply), windows on the caller's clock, lockouts that double, the deadline, and atomicity under
 * parallel steps. Every backend runs the same suite; a counter store of your own can too:
 *
 *   runCounterConformance("my backend", { counters: async () => myCounters() });
 */
import type { CounterOp, CounterStore, StepResult } from "../guard/counters/counter-store.js";
import { GENERATION_MARK } from "../guard/counters/generation.js";
import { vitestApi } from "./vitest-api.js";

/** What the counter conformance suite needs: fresh counter stores. */
export interface CounterConformanceSettings {
  /** A fresh, empty counter store for each test (a new key prefix or table). */
  counters(): Promise<CounterStore>;
  /** Releases what `counters` made (optional). */
  cleanup?(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** The counter store conformance suite (vitest): windows, lockouts, atomic steps. Call it in a test file. */
export function runCounterConformance(name: string, settings: CounterConformanceSettings): void {
  const { describe, it, expect, afterAll } = vitestApi();

  describe(`counter store conformance: ${name}`, () => {
    if (settings.cleanup) afterAll(() => settings.cleanup!());
    const step = (counters: CounterStore, ops: CounterOp[], nowMs = T0): Promise<StepResult> =>
      counters.apply({ ops, nowMs, deadlineMs: Date.now() + 5000 });
    const take = (key: string, max: number, windowMs = MINUTE): CounterOp => ({ kind: "take", key, max, windowMs });

    it("a take counts up to its max, then refuses with the time left in its window", async () => {
      const counters = await settings.counters();
      for (let i = 1; i <= 3; i++) expect((await step(counters, [take("a", 3)], T0 + i)).results[0]!.points).toBe(i);
      const refused = await step(counters, [take("a", 3)], T0 + 10_000);
      expect(refused.refused).toEqual({ index: 0, retryAfterMs: MINUTE - 10_000 + 1 });
    });

    it("a window ends on the caller's clock, and a new one starts", async () => {
      const counters = await settings.counters();
      await step(counters, [take("a", 1)]);
      expect((await step(counters, [take("a", 1)], T0 + MINUTE - 1)).refused?.index).toBe(0);
      expect((await step(counters, [take("a", 1)], T0 + MINUTE)).results[0]!.points).toBe(1);
    });

    it("a refused step writes nothing, whatever op refused it", async () => {
      const counters = await settings.counters();
      await step(counters, [take("full", 1)]);
      const refused = await step(counters, [take("x", 5), take("full", 1), take("y", 5)]);
      expect(refused.refused?.index).toBe(1);
      const after = await step(counters, [take("x", 5), take("y", 5)]);
      expect(after.results.map((result) => result.points)).toEqual([1, 1]);
    });

    it("a lock op refuses while its key is live, then lets the step through", async () => {
      const counters = await settings.counters();
      const lock = { key: "lock", levelKey: "level", baseMs: MINUTE, maxMs: 4 * MINUTE, levelWindowMs: 60 * MINUTE };
      const fail = (nowMs: number) =>
        step(
          counters,
          [
            { kind: "lock", key: "lock" },
            { kind: "take", key: "fails", max: 2, windowMs: 60 * MINUTE, lock },
          ],
          nowMs,
        );
      expect((await fail(T0)).results[1]).toEqual({ points: 1 });
      expect((await fail(T0 + 1)).results[1]).toEqual({ points: 2, lockMs: MINUTE });
      expect((await fail(T0 + 2)).refused).toEqual({ index: 0, retryAfterMs: MINUTE - 1 });
      // After the lockout the count still stands: the next failure locks again, twice as long.
      expect((await fail(T0 + 1 + MINUTE)).results[1]).toEqual({ points: 3, lockMs: 2 * MINUTE });
      expect((await fail(T0 + 1 + 3 * MINUTE)).results[1]).toEqual({ points: 4, lockMs: 4 * MINUTE });
      expect((await fail(T0 + 1 + 7 * MINUTE)).results[1]).toEqual({ points: 5, lockMs: 4 * MINUTE });
    });

    it("forget drops a window, giveBack takes a point back but never below zero, unlock lifts a lockout and its level", async () => {
      const counters = await settings.counters();
      const lock = { key: "lock", levelKey: "level", baseMs: MINUTE, maxMs: 8 * MINUTE, levelWindowMs: 60 * MINUTE };
      await step(counters, [take("a", 5), take("a", 5), take("b", 5)]);
      await step(counters, [
        { kind: "forget", key: "a" },
        { kind: "giveBack", key: "b" },
        { kind: "giveBack", key: "b" },
        { kind: "giveBack", key: "none" },
      ]);
      expect((await step(counters, [take("a", 5), take("b", 5)])).results.map((result) => result.points)).toEqual([1, 1]);

      const started = await step(counters, [{ kind: "take", key: "f", max: 1, windowMs: MINUTE, lock }]);
      expect(started.results[0]!.lockMs).toBe(MINUTE);
      await step(counters, [{ kind: "unlock", key: "lock", levelKey: "level" }]);
      expect((await step(counters, [{ kind: "lock", key: "lock" }])).refused).toBeUndefined();
      // The level was taken back: the next lockout is the first again, not the second.
      expect((await step(counters, [{ kind: "take", key: "f", max: 1, windowMs: MINUTE, lock }])).results[0]!.lockMs).toBe(MINUTE);
    });

    it("onlyIfAbsent counts only when its key had no window before the step", async () => {
      const counters = await settings.counters();
      const first = (number: string) =>
        step(counters, [
          take(`seen:${number}`, Number.MAX_SAFE_INTEGER),
          { kind: "take", key: "prefix", max: 100, windowMs: MINUTE, onlyIfAbsent: `seen:${number}` },
        ]);
      expect((await first("1")).results[1]!.points).toBe(1);
      expect((await first("1")).results[1]!.points).toBe(1);
      expect((await first("2")).results[1]!.points).toBe(2);
    });

    it("keys marked with the generation are numbered by it: raising it retires them all, read in the same step", async () => {
      const counters = await settings.counters();
      const marked = (nowMs = T0): Promise<StepResult> =>
        counters.apply({
          ops: [take(`a${GENERATION_MARK}`, 2), take(`b${GENERATION_MARK}`, 2), take("plain", 10)],
          generation: "gen",
          nowMs,
          deadlineMs: Date.now() + 5000,
        });
      await marked();
      expect((await marked()).results.map((result) => result.points)).toEqual([2, 2, 2]);
      expect((await marked()).refused?.index).toBe(0);
      // Generation 0 is the unmarked key: counts kept before generations existed still count.
      expect((await step(counters, [take("a", 2)])).refused?.index).toBe(0);
      // Raising the generation (a take on its key) and forgetting in the same step, as a lift does.
      await counters.apply({
        ops: [take("gen", Number.MAX_SAFE_INTEGER, 10 * MINUTE), { kind: "forget", key: "plain" }],
        generation: "gen",
        nowMs: T0,
        deadlineMs: Date.now() + 5000,
      });
      expect((await marked()).results.map((result) => result.points)).toEqual([1, 1, 1]);
      // The step that names no generation still sees the old keys, untouched.
      expect((await step(counters, [take("a", 2)])).refused?.index).toBe(0);
      // A generation whose window ended is 0 again.
      expect((await marked(T0 + 10 * MINUTE)).results.map((result) => result.points)).toEqual([1, 1, 1]);
    });

    it("parallel steps and a generation raise are atomic: every marked point lands in exactly one generation", async () => {
      const counters = await settings.counters();
      const mark = (nowMs: number) =>
        counters.apply({ ops: [take(`m${GENERATION_MARK}`, 1000)], generation: "g2", nowMs, deadlineMs: Date.now() + 5000 });
      const raise = () =>
        counters.apply({
          ops: [take("g2", Number.MAX_SAFE_INTEGER, 10 * MINUTE)],
          generation: "g2",
          nowMs: T0,
          deadlineMs: Date.now() + 5000,
        });
      await Promise.all([...Array.from({ length: 20 }, () => mark(T0)), raise(), ...Array.from({ length: 20 }, () => mark(T0))]);
      // One more after the raise has certainly landed: it counts in the new generation.
      const current = (await mark(T0)).results[0]!.points;
      const before = (await step(counters, [take("m", 1000)])).results[0]!.points - 1;
      // Every mark counted once, in exactly one of the two generations.
      expect(before + current).toBe(41);
    });

    it("a step past its deadline is refused and changes nothing", async () => {
      const counters = await settings.counters();
      await expect(counters.apply({ ops: [take("a", 5)], nowMs: T0, deadlineMs: Date.now() - 1 })).rejects.toThrow();
      expect((await step(counters, [take("a", 5)])).results[0]!.points).toBe(1);
    });

    it("parallel steps are atomic: 200 takes against a max of 10 let exactly 10 through, and one lockout starts", async () => {
      const counters = await settings.counters();
      const results = await Promise.all(Array.from({ length: 200 }, () => step(counters, [take("p", 10)])));
      expect(results.filter((result) => !result.refused)).toHaveLength(10);
      const lock = { key: "plock", levelKey: "plevel", baseMs: MINUTE, maxMs: MINUTE, levelWindowMs: MINUTE };
      const failures = await Promise.all(
        Array.from({ length: 200 }, () =>
          step(counters, [
            { kind: "lock", key: "plock" },
            { kind: "take", key: "pf", max: 10, windowMs: MINUTE, lock },
          ]),
        ),
      );
      expect(failures.filter((result) => !result.refused)).toHaveLength(10);
      expect(failures.filter((result) => result.results[1]?.lockMs !== undefined)).toHaveLength(1);
    });
  });
}
