/** The read primitive (`inspect`) and the engine's `status` on it: every state, unknown ids, expiry, deadlines. */
import type { LedgerStore } from "../../contracts/ledger.js";
import { newVerificationId } from "../../core/token.js";
import { createOtp } from "../../engine/create-otp.js";
import type { Otp } from "../../engine/types.js";
import { errorCode, rejection, sleep, TTL_MS, type Suite } from "./suite.js";
import { vitestApi } from "../vitest-api.js";

/** How far a store's clock (Redis's TIME, Postgres's now()) may stand from this process's. */
const CLOCK_SLACK_MS = 2_000;

export function inspection(suite: Suite): void {
  const { beforeAll, describe, expect, it } = vitestApi();
  let store: LedgerStore;
  beforeAll(() => {
    store = suite.store();
  });

  describe("the read primitive", () => {
    it("reads a pending verification, its attempts and when it is forgotten", async () => {
      const id = newVerificationId();
      const openedAt = Date.now();
      await store.open(id, TTL_MS, 1);
      const entry = await store.inspect(id);
      expect(entry).toMatchObject({ state: "pending", attempts: 1 });
      const expiresAtMs = (entry as { expiresAtMs: number }).expiresAtMs;
      expect(Math.abs(expiresAtMs - (openedAt + TTL_MS))).toBeLessThan(CLOCK_SLACK_MS);
      await store.record(id, false, 3);
      expect(await store.inspect(id)).toMatchObject({ state: "pending", attempts: 2 });
    });

    it("reads consumed, revoked and replaced as the check refuses them", async () => {
      const consumed = newVerificationId();
      const revoked = newVerificationId();
      const replaced = newVerificationId();
      for (const id of [consumed, revoked, replaced]) await store.open(id, TTL_MS);
      await store.record(consumed, false, 3);
      await store.record(consumed, true, 3);
      await store.revoke(revoked);
      await store.record(replaced, false, 3);
      await store.revoke(replaced, { replaced: true });
      expect(await store.inspect(consumed)).toMatchObject({ state: "consumed", attempts: 2 });
      expect(await store.inspect(revoked)).toMatchObject({ state: "revoked", attempts: 0 });
      expect(await store.inspect(replaced)).toMatchObject({ state: "replaced", attempts: 1 });
    });

    it("reads an exhausted verification as pending with every attempt used: the maximum is the context's", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      for (let i = 0; i < 3; i++) await store.record(id, false, 3);
      expect(await store.inspect(id)).toMatchObject({ state: "pending", attempts: 3 });
    });

    it("answers unknown for an id it never opened and for one past its time to live", async () => {
      expect(await store.inspect(newVerificationId())).toEqual({ state: "unknown", attempts: 0 });
      const id = newVerificationId();
      await store.open(id, 50);
      await sleep(150);
      expect(await store.inspect(id)).toEqual({ state: "unknown", attempts: 0 });
    });

    it("changes nothing: after many reads the right code is still approved on its first try", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      await Promise.all(Array.from({ length: 20 }, () => store.inspect(id, { deadlineMs: Date.now() + 5_000 })));
      expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    });

    it("refuses a read whose deadline has passed, with StoreTimeoutError", async () => {
      const id = newVerificationId();
      await store.open(id, TTL_MS);
      expect(await rejection(store.inspect(id, { deadlineMs: Date.now() - 1 }))).toMatchObject({ name: "StoreTimeoutError" });
    });
  });

  describe("status through the engine", () => {
    let otp: Otp;
    beforeAll(() => {
      otp = createOtp({ keys: suite.keys, guard: false, store, maxAttempts: 3 });
    });
    const issue = () => otp.generate({ identifier: "status@example.com", purpose: "login" });
    const wrong = (code: string) => String((Number(code[0]) + 1) % 10) + code.slice(1);

    it("tells pending, approved, canceled, replaced and max_attempts apart, with the attempts", async () => {
      const pending = await issue();
      await rejection(otp.verify({ code: wrong(pending.code), context: pending.context, purpose: "login" }));
      expect(await otp.status(pending.id)).toMatchObject({ id: pending.id, status: "pending", attempts: 1, attemptsRemaining: 2 });
      const seen = await otp.status(pending.id);
      expect(Math.abs(seen.sessionExpiresAt.getTime() - pending.sessionExpiresAt.getTime())).toBeLessThan(CLOCK_SLACK_MS);

      const approved = await issue();
      await otp.verify({ code: approved.code, context: approved.context, purpose: "login" });
      expect(await otp.status(approved.id)).toMatchObject({ status: "approved", attempts: 1 });

      const canceled = await issue();
      await otp.revoke(canceled.context);
      expect(await otp.status(canceled.id)).toMatchObject({ status: "canceled", attempts: 0 });

      const replaced = await issue();
      const newer = await otp.regenerate({ context: replaced.context });
      expect(await otp.status(replaced.id)).toMatchObject({ status: "replaced" });
      expect(await otp.status(newer.id)).toMatchObject({ status: "pending", attempts: 0, attemptsRemaining: 3 });

      const exhausted = await issue();
      for (let i = 0; i < 3; i++)
        await rejection(otp.verify({ code: wrong(exhausted.code), context: exhausted.context, purpose: "login" }));
      expect(await otp.status(exhausted.id)).toMatchObject({ status: "max_attempts", attempts: 3, attemptsRemaining: 0 });
    });

    it("never tells the code, the identifier or the metadata", async () => {
      const issued = await otp.generate({ identifier: "secret-person@example.com", purpose: "login", metadata: { order: "o-991" } });
      const text = JSON.stringify(await otp.status(issued.id));
      for (const secret of [issued.code, "secret-person", "o-991", issued.context]) expect(text).not.toContain(secret);
    });

    it("answers NOT_FOUND for an unknown id and INVALID_REQUEST for one of the wrong form", async () => {
      expect(errorCode(await rejection(otp.status(newVerificationId())))).toBe("NOT_FOUND");
      for (const bad of ["", "short", `${newVerificationId()}x`, "a/b+c=d.efghijklmnopqrs", 42 as unknown as string]) {
        expect(errorCode(await rejection(otp.status(bad)))).toBe("INVALID_REQUEST");
      }
    });
  });
}
