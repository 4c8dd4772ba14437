/** The store down: bounded refusals, never an approval, and recovery without a restart. */
import type { LedgerStore } from "../../contracts/ledger.js";
import { createOtp } from "../../engine/create-otp.js";
import type { Otp } from "../../engine/types.js";
import type { ConformanceSubject, OutageSubject } from "../conformance.js";
import { ANSWER_SLACK_MS, errorCode, rejection, sleep, type Suite } from "./suite.js";
import { vitestApi } from "../vitest-api.js";

export function outages(suite: Suite): void {
  const { afterAll, beforeAll, describe, expect, it } = vitestApi();
  const { keys, storeTimeoutMs, options } = suite;
  let store: LedgerStore;
  beforeAll(() => {
    store = suite.store();
  });

  for (const [scenario, makeDown] of Object.entries(options.unavailable ?? {})) {
    describe(`store down: ${scenario}`, () => {
      let down: ConformanceSubject;
      let otp: Otp;
      let healthy: Otp;
      beforeAll(async () => {
        down = await makeDown();
        otp = createOtp({ keys, guard: false, store: down.store, storeTimeoutMs });
        healthy = createOtp({ keys, guard: false, store });
      });
      afterAll(async () => {
        await down?.store.close();
        await down?.teardown?.();
      });

      it("answers STORE_UNAVAILABLE within the bound, for issuing, checking and reading a status", async () => {
        let startedAt = Date.now();
        expect(errorCode(await rejection(otp.generate({ identifier: "user@example.com", purpose: "login" })))).toBe("STORE_UNAVAILABLE");
        expect(Date.now() - startedAt).toBeLessThan(storeTimeoutMs + ANSWER_SLACK_MS);

        const { id, code, context } = await healthy.generate({ identifier: "user@example.com", purpose: "login" });
        startedAt = Date.now();
        expect(errorCode(await rejection(otp.verify({ code, context, purpose: "login" })))).toBe("STORE_UNAVAILABLE");
        expect(Date.now() - startedAt).toBeLessThan(storeTimeoutMs + ANSWER_SLACK_MS);

        startedAt = Date.now();
        expect(errorCode(await rejection(otp.status(id)))).toBe("STORE_UNAVAILABLE");
        expect(Date.now() - startedAt).toBeLessThan(storeTimeoutMs + ANSWER_SLACK_MS);
      });

      it("fails health within a bounded time", async () => {
        const startedAt = Date.now();
        await expect(down.store.health()).rejects.toBeInstanceOf(Error);
        expect(Date.now() - startedAt).toBeLessThan(Math.max(storeTimeoutMs, 1000) + ANSWER_SLACK_MS);
      });
    });
  }

  if (options.outage) {
    const makeOutage = options.outage;
    describe("store down, then back", () => {
      let outage: OutageSubject;
      let otp: Otp;
      beforeAll(async () => {
        outage = await makeOutage();
        await outage.store.migrate?.();
        otp = createOtp({ keys, guard: false, store: outage.store, storeTimeoutMs });
      });
      afterAll(async () => {
        await outage?.store.close();
        await outage?.teardown?.();
      });

      it("refuses while it is down and recovers by itself when it returns", async () => {
        const before = await otp.generate({ identifier: "user@example.com", purpose: "login" });
        await outage.stop();

        const startedAt = Date.now();
        expect(errorCode(await rejection(otp.verify({ code: before.code, context: before.context, purpose: "login" })))).toBe(
          "STORE_UNAVAILABLE",
        );
        expect(errorCode(await rejection(otp.generate({ identifier: "user@example.com", purpose: "login" })))).toBe("STORE_UNAVAILABLE");
        expect(Date.now() - startedAt).toBeLessThan(2 * (storeTimeoutMs + ANSWER_SLACK_MS));

        await outage.resume();
        const deadline = Date.now() + 10_000;
        let after: Awaited<ReturnType<Otp["generate"]>> | undefined;
        while (!after && Date.now() < deadline) {
          after = await otp.generate({ identifier: "user@example.com", purpose: "login" }).catch(() => undefined);
          if (!after) await sleep(100);
        }
        expect(after, "the store did not recover within 10 s").toBeDefined();
        await expect(otp.verify({ code: after!.code, context: after!.context, purpose: "login" })).resolves.toMatchObject({
          attempts: 1,
        });
        // The check refused during the outage may or may not have reached the store before the
        // connection went; either the code still verifies now, or it already counted. Never twice.
        const again = await otp.verify({ code: before.code, context: before.context, purpose: "login" }).then(
          () => "verified",
          (error: unknown) => errorCode(error),
        );
        expect(["verified", "ALREADY_USED"]).toContain(again);
      }, 30_000);
    });
  }
}
