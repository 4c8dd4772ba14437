import { describe, expect, it } from "vitest";
import { memoryStore } from "../../src/stores/memory.js";
import { runStoreConformance } from "../../src/testing/index.js";

runStoreConformance("memory", async () => ({ store: memoryStore() }));

describe("memory store sweep", () => {
  it("keeps memory near the live set whatever the mix of time-to-live", async () => {
    let now = 0;
    const store = memoryStore({ now: () => now });
    // Every other entry expires almost at once; the others live for the whole run.
    for (let i = 0; i < 20_000; i++) {
      now = i;
      await store.open(`id-${i}`, i % 2 === 0 ? 5 : 1_000_000);
    }
    expect(store.size).toBeLessThan(15_000);
    expect(store.size).toBeGreaterThanOrEqual(10_000);
  });
});
