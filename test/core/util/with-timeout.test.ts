import { describe, expect, it } from "vitest";
import { StoreTimeoutError, withTimeout } from "../../../src/core/util/with-timeout.js";

const never = () => new Promise<never>(() => undefined);

describe("withTimeout", () => {
  it("answers with the operation when it settles in time", async () => {
    await expect(withTimeout(Promise.resolve(7), 50, "test")).resolves.toBe(7);
    await expect(withTimeout(() => Promise.reject(new Error("own")), 50, "test")).rejects.toThrow("own");
  });

  it("rejects with a StoreTimeoutError naming the kind once the bound passes", async () => {
    const error = await withTimeout(never, 10, "ledger").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect((error as Error).message).toBe("ledger store did not answer within 10 ms");
  });

  it("rejects with the error `timedOut` gives, called once, when the bound passes", async () => {
    let calls = 0;
    const controller = new AbortController();
    const own = new Error("gave up");
    const error = await withTimeout(never, 10, "delivery", () => {
      calls++;
      controller.abort();
      return own;
    }).catch((caught: unknown) => caught);
    expect(error).toBe(own);
    expect(calls).toBe(1);
    expect(controller.signal.aborted).toBe(true);
  });

  it("never calls `timedOut` for an operation that settled in time", async () => {
    let calls = 0;
    await withTimeout(Promise.resolve(), 10, "delivery", () => {
      calls++;
      return new Error("late");
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(0);
  });
});
