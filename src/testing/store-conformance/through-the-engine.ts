/** The engine on the store: one approval, resends, cancels racing resends, a second instance on the same backend. */
import type { LedgerStore } from "../../contracts/ledger.js";
import type { OtpError } from "../../core/errors.js";
import { newVerificationId } from "../../core/token.js";
import { createOtp } from "../../engine/create-otp.js";
import type { Otp } from "../../engine/types.js";
import type { ConformanceSubject } from "../conformance.js";
import { count, errorCode, rejection, sleep, TTL_MS, type Suite } from "./suite.js";
import { vitestApi } from "../vitest-api.js";

/**
 * `store` with each revoke held back a random moment, so that of two operations started together
 * either may reach the store first (a resend otherwise always arrives second: it asks its guard
 * before it revokes).
 */
function withRandomRevokeDelay(store: LedgerStore): LedgerStore {
  return {
    kind: store.kind,
    open: (...args) => store.open(...args),
    record: (...args) => store.record(...args),
    revoke: async (...args) => {
      await sleep(Math.random() * 3);
      return store.revoke(...args);
    },
    inspect: (...args) => store.inspect(...args),
    health: () => store.health(),
    close: async () => {},
  };
}

export function throughTheEngine(suite: Suite): void {
  const { afterAll, beforeAll, describe, expect, it } = vitestApi();
  const { keys, rightGuesses, options } = suite;
  let store: LedgerStore;
  beforeAll(() => {
    store = suite.store();
  });

  describe("through the engine", () => {
    let otp: Otp;
    beforeAll(() => {
      otp = createOtp({ keys, guard: false, store, storeTimeoutMs: 5_000 });
    });

    it("verifies a code once, counts a wrong one, refuses a replay", async () => {
      const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      const wrong = code === "000000" ? "111111" : "000000";
      const error = await rejection(otp.verify({ code: wrong, context, purpose: "login" }));
      expect(errorCode(error)).toBe("INVALID_OTP");
      expect((error as OtpError).attemptsRemaining).toBe(2);
      await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 2 });
      expect(errorCode(await rejection(otp.verify({ code, context, purpose: "login" })))).toBe("ALREADY_USED");
    });

    it(`lets exactly one of ${rightGuesses} parallel right checks succeed`, async () => {
      const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      const settled = await Promise.allSettled(Array.from({ length: rightGuesses }, () => otp.verify({ code, context, purpose: "login" })));
      expect(settled.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const reasons = settled.flatMap((result) => (result.status === "rejected" ? [errorCode(result.reason)] : []));
      expect(new Set(reasons)).toEqual(new Set(["ALREADY_USED"]));
    });

    it("keeps the failure budget across a resend", async () => {
      const first = await otp.generate({ identifier: "+14155550123", purpose: "login", maxAttempts: 3 });
      const wrong = first.code === "000000" ? "111111" : "000000";
      await rejection(otp.verify({ code: wrong, context: first.context, purpose: "login" }));
      await rejection(otp.verify({ code: wrong, context: first.context, purpose: "login" }));
      const second = await otp.regenerate({ context: first.context });
      expect(errorCode(await rejection(otp.verify({ code: first.code, context: first.context, purpose: "login" })))).toBe("CANCELED");
      await expect(otp.verify({ code: second.code, context: second.context, purpose: "login" })).resolves.toMatchObject({ attempts: 3 });
    });
  });

  describe("cancel and resend", () => {
    let otp: Otp;
    beforeAll(() => {
      otp = createOtp({ keys, guard: false, store, storeTimeoutMs: 5_000 });
    });

    it("refuses to cancel a context a resend replaced, and the new code still verifies", async () => {
      const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      const second = await otp.regenerate({ context: first.context });
      expect(errorCode(await rejection(otp.revoke(first.context)))).toBe("CANCELED");
      await expect(otp.verify({ code: second.code, context: second.context, purpose: "login" })).resolves.toMatchObject({
        id: second.id,
      });
    });

    it("cancels the newest context, and again idempotently", async () => {
      const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
      const second = await otp.regenerate({ context: first.context });
      await expect(otp.revoke(second.context)).resolves.toEqual({ id: second.id, status: "canceled" });
      await expect(otp.revoke(second.context)).resolves.toEqual({ id: second.id, status: "canceled" });
      expect(errorCode(await rejection(otp.verify({ code: second.code, context: second.context, purpose: "login" })))).toBe("CANCELED");
    });

    it("never lets a cancel and a resend of one context both succeed", async () => {
      const otp = createOtp({ keys, guard: false, store: withRandomRevokeDelay(store), storeTimeoutMs: 5_000 });
      for (let round = 0; round < 20; round++) {
        const first = await otp.generate({ identifier: "user@example.com", purpose: "login" });
        const [canceled, resent] = await Promise.allSettled([otp.revoke(first.context), otp.regenerate({ context: first.context })]);
        const succeeded = [canceled, resent].filter((settled) => settled.status === "fulfilled");
        expect(succeeded, `round ${round}`).toHaveLength(1);
        const loser = [canceled, resent].find((settled) => settled.status === "rejected") as PromiseRejectedResult;
        expect(errorCode(loser.reason)).toBe("CANCELED");
      }
    });
  });

  if (options.sibling) {
    const makeSibling = options.sibling;
    describe("a second instance on the same backend", () => {
      let sibling: ConformanceSubject;
      beforeAll(async () => {
        sibling = await makeSibling();
      });
      afterAll(async () => {
        await sibling?.store.close();
        await sibling?.teardown?.();
      });

      it("sees what the first one did, and the limits hold across both", async () => {
        const id = newVerificationId();
        await store.open(id, TTL_MS);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : sibling.store).record(id, false, 3)),
        );
        expect(count(results, "rejected")).toBe(3);
        expect(await sibling.store.record(id, true, 3)).toEqual({ outcome: "exhausted", attempts: 3 });

        const other = newVerificationId();
        await sibling.store.open(other, TTL_MS);
        const approvals = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? store : sibling.store).record(other, true, 3)),
        );
        expect(count(approvals, "approved")).toBe(1);
      });
    });
  }
}
