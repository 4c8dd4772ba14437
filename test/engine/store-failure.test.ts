import { describe, expect, it } from "vitest";
import { createOtp, type LedgerStore } from "../../src/index.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { expectOtpError, KEY_A } from "../helpers/otp.js";

function brokenStore(behaviour: "throw" | "hang"): LedgerStore {
  const fail = (): Promise<never> => (behaviour === "throw" ? Promise.reject(new Error("ECONNREFUSED")) : new Promise(() => {}));
  return { kind: "broken", open: fail, record: fail, revoke: fail, inspect: fail, health: fail, close: async () => {} };
}

describe("the store down means no approval", () => {
  it.each(["throw", "hang"] as const)("a store that %ss answers STORE_UNAVAILABLE within the timeout", async (behaviour) => {
    const healthy = createOtp({ keys: KEY_A });
    const { id, code, context } = await healthy.generate({ identifier: "user@example.com", purpose: "login" });
    const otp = createOtp({ keys: KEY_A, store: brokenStore(behaviour), storeTimeoutMs: 50 });
    const started = Date.now();
    await expectOtpError(otp.status(id), "STORE_UNAVAILABLE");
    await expectOtpError(otp.verify({ code, context, purpose: "login" }), "STORE_UNAVAILABLE");
    await expectOtpError(otp.generate({ identifier: "user@example.com", purpose: "login" }), "STORE_UNAVAILABLE");
    await expectOtpError(otp.revoke(context), "STORE_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("recovers when the store answers again", async () => {
    const real = new MemoryStore();
    let down = true;
    const flaky: LedgerStore = {
      kind: "flaky",
      open: (...args) => (down ? Promise.reject(new Error("down")) : real.open(...args)),
      record: (...args) => (down ? Promise.reject(new Error("down")) : real.record(...args)),
      revoke: (...args) => (down ? Promise.reject(new Error("down")) : real.revoke(...args)),
      inspect: (...args) => (down ? Promise.reject(new Error("down")) : real.inspect(...args)),
      health: async () => {},
      close: async () => {},
    };
    const otp = createOtp({ keys: KEY_A, store: flaky });
    await expectOtpError(otp.generate({ identifier: "user@example.com", purpose: "login" }), "STORE_UNAVAILABLE");
    down = false;
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toBeTruthy();
  });
});
