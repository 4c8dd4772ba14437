/** The ledger's atomic primitives: every outcome of a check, revocation, expiry, parallel guesses, deadlines. */
import type { LedgerStore } from "../../contracts/ledger.js";
import { newVerificationId } from "../../core/token.js";
import { count, rejection, sleep, TTL_MS, type Suite } from "./suite.js";
import { vitestApi } from "../vitest-api.js";

export function primitives(suite: Suite): void {
  const { beforeAll, describe, expect, it } = vitestApi();
  const { wrongGuesses, rightGuesses } = suite;
  let store: LedgerStore;
  beforeAll(() => {
    store = suite.store();
  });

  describe("the check primitive", () => {
    it("approves a match once, then reports it consumed", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "consumed", attempts: 1 });
      expect(await store.record(id, false, 3)).toEqual({ outcome: "consumed", attempts: 1 });
    });

    it("counts wrong guesses up to the maximum, then refuses even the right code", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      expect(await store.record(id, false, 3)).toEqual({ outcome: "rejected", attempts: 1 });
      expect(await store.record(id, false, 3)).toEqual({ outcome: "rejected", attempts: 2 });
      expect(await store.record(id, false, 3)).toEqual({ outcome: "rejected", attempts: 3 });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "exhausted", attempts: 3 });
      expect(await store.record(id, false, 3)).toEqual({ outcome: "exhausted", attempts: 3 });
    });

    it("approves on the last allowed attempt", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      await store.record(id, false, 2);
      expect(await store.record(id, true, 2)).toEqual({ outcome: "approved", attempts: 2 });
    });

    it("starts from the attempts a resend carried over", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS, 2);
      expect(await store.record(id, false, 3)).toEqual({ outcome: "rejected", attempts: 3 });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "exhausted", attempts: 3 });
    });

    it("answers unknown for an id it never opened", async () => {
      const id = newVerificationId();
      expect(await store.record(id, true, 3)).toEqual({ outcome: "unknown", attempts: 0 });
      expect(await store.revoke(id)).toEqual({ previous: "unknown", attempts: 0 });
    });

    it("keeps verifications apart", async () => {
      const a = newVerificationId();
      const b = newVerificationId();
      await store.open(a, TTL_MS);
      await store.open(b, TTL_MS);
      await store.record(a, false, 3);
      await store.record(a, true, 3);
      expect(await store.record(b, false, 3)).toEqual({ outcome: "rejected", attempts: 1 });
    });
  });

  describe("revocation", () => {
    it("revokes a pending verification once and refuses every later check", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      await store.record(id, false, 3);
      expect(await store.revoke(id)).toEqual({ previous: "pending", attempts: 1 });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "revoked", attempts: 1 });
      expect(await store.revoke(id)).toEqual({ previous: "revoked", attempts: 1 });
    });

    it("leaves a consumed verification consumed", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      await store.record(id, true, 3);
      expect(await store.revoke(id)).toEqual({ previous: "consumed", attempts: 1 });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "consumed", attempts: 1 });
    });

    it("tells an entry replaced by a resend from a canceled one, and refuses both alike", async () => {
      const replaced = newVerificationId();
      await store.open(replaced, TTL_MS);
      await store.record(replaced, false, 3);
      expect(await store.revoke(replaced, { replaced: true })).toEqual({ previous: "pending", attempts: 1 });
      expect(await store.record(replaced, true, 3)).toEqual({ outcome: "revoked", attempts: 1 });
      expect(await store.revoke(replaced)).toEqual({ previous: "replaced", attempts: 1 });
      expect(await store.revoke(replaced, { replaced: true })).toEqual({ previous: "replaced", attempts: 1 });

      const canceled = newVerificationId();
      await store.open(canceled, TTL_MS);
      expect(await store.revoke(canceled)).toEqual({ previous: "pending", attempts: 0 });
      expect(await store.revoke(canceled, { replaced: true })).toEqual({ previous: "revoked", attempts: 0 });
      expect(await store.record(canceled, true, 3)).toEqual({ outcome: "revoked", attempts: 0 });
    });

    it("lets exactly one of many parallel revokes win", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.revoke(id)));
      expect(results.filter((result) => result.previous === "pending")).toHaveLength(1);
    });
  });

  describe("expiry", () => {
    it("forgets a verification after its time to live", async () => {
      const id = newVerificationId();
      await store.open(id, 50);
      await sleep(150);
      expect(await store.record(id, true, 3)).toEqual({ outcome: "unknown", attempts: 0 });
      expect(await store.revoke(id)).toEqual({ previous: "unknown", attempts: 0 });
    });

    it("keeps a verification within its time to live", async () => {
      const id = newVerificationId();
      await store.open(id, 5_000);
      await sleep(50);
      expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    });
  });

  describe("concurrency", () => {
    it(`evaluates at most max of ${wrongGuesses} parallel wrong guesses`, async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      const results = await Promise.all(Array.from({ length: wrongGuesses }, () => store.record(id, false, 3)));
      expect(count(results, "rejected")).toBe(3);
      expect(count(results, "exhausted")).toBe(wrongGuesses - 3);
      expect(await store.record(id, true, 3)).toEqual({ outcome: "exhausted", attempts: 3 });
    });

    it(`approves exactly one of ${rightGuesses} parallel right guesses`, async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      const results = await Promise.all(Array.from({ length: rightGuesses }, () => store.record(id, true, 3)));
      expect(count(results, "approved")).toBe(1);
      expect(count(results, "consumed")).toBe(rightGuesses - 1);
    });

    it("never evaluates more than max, nor approves twice, when right and wrong guesses race", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.record(id, i % 2 === 0, 3)));
      expect(count(results, "approved")).toBeLessThanOrEqual(1);
      expect(count(results, "approved") + count(results, "rejected")).toBeLessThanOrEqual(3);
    });
  });

  describe("deadlines", () => {
    // Checked by the store where it applies the write (the fault tests show it on a paused or
    // locked backend); here, the contract every store keeps.
    it("refuses every write whose deadline has passed, with StoreTimeoutError, and changes nothing", async () => {
      const id = newVerificationId();
      const passed = () => ({ deadlineMs: Date.now() - 1 });
      expect(await rejection(store.open(id, TTL_MS, 0, passed()))).toMatchObject({ name: "StoreTimeoutError" });
      expect(await store.record(id, true, 3)).toEqual({ outcome: "unknown", attempts: 0 });

      await store.open(id, TTL_MS);
      expect(await rejection(store.record(id, true, 3, passed()))).toMatchObject({ name: "StoreTimeoutError" });
      expect(await rejection(store.record(id, false, 3, passed()))).toMatchObject({ name: "StoreTimeoutError" });
      expect(await rejection(store.revoke(id, passed()))).toMatchObject({ name: "StoreTimeoutError" });
      expect(await rejection(store.revoke(id, { replaced: true, ...passed() }))).toMatchObject({ name: "StoreTimeoutError" });
      expect(await rejection(store.open(id, TTL_MS, 2, passed()))).toMatchObject({ name: "StoreTimeoutError" });
      // Untouched: still pending, no attempt counted, so the right code is approved on its first try.
      expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    });

    it("applies every write whose deadline is ahead", async () => {
      const id = newVerificationId();
      const ahead = () => ({ deadlineMs: Date.now() + 5_000 });
      await store.open(id, TTL_MS, 1, ahead());
      expect(await store.record(id, false, 3, ahead())).toEqual({ outcome: "rejected", attempts: 2 });
      expect(await store.revoke(id, { replaced: true, ...ahead() })).toEqual({ previous: "pending", attempts: 2 });
      expect(await store.record(id, true, 3, ahead())).toEqual({ outcome: "revoked", attempts: 2 });
    });
  });

  describe("housekeeping", () => {
    it("answers health", async () => {
      await expect(store.health()).resolves.toBeUndefined();
    });

    it("names its kind", () => {
      expect(typeof store.kind).toBe("string");
      expect(store.kind.length).toBeGreaterThan(0);
    });
  });
}
