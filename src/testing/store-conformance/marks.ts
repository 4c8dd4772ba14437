/** The `advance` primitive: a mark that only rises, atomically, that expires, and that keeps its deadline. */
import type { LedgerStore } from "../../contracts/ledger.js";
import { newVerificationId } from "../../core/token.js";
import { rejection, sleep, TTL_MS, type Suite } from "./suite.js";
import { vitestApi } from "../vitest-api.js";

/** A key of the shape marks use: it holds a ':', which no verification id does. */
function markKey(): string {
  return `test:${newVerificationId()}`;
}

export function marks(suite: Suite): void {
  const { beforeAll, describe, expect, it } = vitestApi();
  let store: LedgerStore;
  let advance: NonNullable<LedgerStore["advance"]>;
  beforeAll(() => {
    store = suite.store();
    if (typeof store.advance !== "function") throw new Error(`the ${store.kind} store has no advance primitive`);
    advance = store.advance.bind(store);
  });

  describe("the mark primitive (advance)", () => {
    it("sets an absent mark, then only a higher value moves it", async () => {
      const key = markKey();
      expect(await advance(key, 100, TTL_MS)).toEqual({ advanced: true, value: 100 });
      expect(await advance(key, 100, TTL_MS)).toEqual({ advanced: false, value: 100 });
      expect(await advance(key, 99, TTL_MS)).toEqual({ advanced: false, value: 100 });
      expect(await advance(key, 101, TTL_MS)).toEqual({ advanced: true, value: 101 });
      expect(await advance(key, 1, TTL_MS)).toEqual({ advanced: false, value: 101 });
    });

    it("holds values up to 2^31 - 1 (a time step of a 1 s period until 2038)", async () => {
      const key = markKey();
      expect(await advance(key, 2 ** 31 - 2, TTL_MS)).toEqual({ advanced: true, value: 2 ** 31 - 2 });
      expect(await advance(key, 2 ** 31 - 1, TTL_MS)).toEqual({ advanced: true, value: 2 ** 31 - 1 });
    });

    it("keeps marks apart from each other and from verifications", async () => {
      const a = markKey();
      const b = markKey();
      await advance(a, 5, TTL_MS);
      expect(await advance(b, 1, TTL_MS)).toEqual({ advanced: true, value: 1 });
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      expect(await advance(`x:${id}`, 3, TTL_MS)).toEqual({ advanced: true, value: 3 });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    });

    it("forgets a mark after its time to live", async () => {
      const key = markKey();
      await advance(key, 50, 60);
      await sleep(150);
      expect(await advance(key, 10, TTL_MS)).toEqual({ advanced: true, value: 10 });
    });

    it("advances exactly one of many parallel raises to the same value", async () => {
      const key = markKey();
      await advance(key, 7, TTL_MS);
      const results = await Promise.all(Array.from({ length: 50 }, () => advance(key, 8, TTL_MS)));
      expect(results.filter((result) => result.advanced)).toHaveLength(1);
      expect(results.every((result) => result.value === 8)).toBe(true);
    });

    it("advances exactly one first use of many parallel ones on an absent mark", async () => {
      const key = markKey();
      const results = await Promise.all(Array.from({ length: 50 }, () => advance(key, 1, TTL_MS)));
      expect(results.filter((result) => result.advanced)).toHaveLength(1);
    });

    it("refuses past its deadline with StoreTimeoutError and changes nothing", async () => {
      const key = markKey();
      expect(await rejection(advance(key, 5, TTL_MS, { deadlineMs: Date.now() - 1 }))).toMatchObject({ name: "StoreTimeoutError" });
      expect(await advance(key, 1, TTL_MS, { deadlineMs: Date.now() + 5_000 })).toEqual({ advanced: true, value: 1 });
    });
  });

  if (suite.options.sibling) {
    const makeSibling = suite.options.sibling;
    describe("the mark primitive across two store instances", () => {
      it("lets exactly one instance advance a mark both raise at once", async () => {
        const sibling = await makeSibling();
        try {
          await sibling.store.migrate?.();
          const other = sibling.store.advance!.bind(sibling.store);
          const key = markKey();
          const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? advance : other)(key, 9, TTL_MS)));
          expect(results.filter((result) => result.advanced)).toHaveLength(1);
          expect(await other(key, 9, TTL_MS)).toEqual({ advanced: false, value: 9 });
        } finally {
          await sibling.store.close();
          await sibling.teardown?.();
        }
      });
    });
  }
}
