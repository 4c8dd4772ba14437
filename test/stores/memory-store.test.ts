import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory.js";

describe("memory store", () => {
  it("sweeps expired entries so memory stays bounded over a million verifications", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    let peak = 0;
    // One open per simulated millisecond with a 1-second TTL: at most ~1,000 are ever live.
    for (let i = 0; i < 1_000_000; i++) {
      now += 1;
      await store.open(`id${i}`, 1_000);
      if (store.size > peak) peak = store.size;
    }
    expect(peak).toBeLessThan(2_100);
  });

  it("bounds memory with mixed TTLs too", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    let peak = 0;
    for (let i = 0; i < 200_000; i++) {
      now += 1;
      // Every tenth entry lives 10x longer; they must not block the sweep of the others.
      await store.open(`id${i}`, i % 10 === 0 ? 10_000 : 1_000);
      if (store.size > peak) peak = store.size;
    }
    // Live set: ~900 short + ~1,000 long.
    expect(peak).toBeLessThan(5_000);
  });

  it("treats an expired entry as unknown and enforces maxEntries", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now, maxEntries: 2 });
    await store.open("a", 100);
    now = 100;
    expect(await store.record("a", true, 3)).toEqual({ outcome: "unknown", attempts: 0 });
    await store.open("b", 1_000);
    await store.open("c", 1_000);
    await store.open("d", 1_000);
    expect(store.size).toBe(2);
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(TypeError);
  });
});
