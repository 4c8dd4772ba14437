import { describe, expect, it } from "vitest";
import { OldestFirst } from "../../src/core/oldest-first.js";
import { MemoryStore } from "../../src/stores/memory.js";

describe("OldestFirst", () => {
  it("deletes in insertion order across deletes and inserts made around it", () => {
    const map = new Map<string, number>();
    const oldest = new OldestFirst(map);
    expect(oldest.evict()).toBe(false);
    for (const key of ["a", "b", "c", "d"]) map.set(key, 0);
    expect(oldest.evict()).toBe(true);
    map.delete("c"); // gone before its turn
    map.set("e", 0);
    oldest.evict();
    expect([...map.keys()]).toEqual(["d", "e"]);
    oldest.evict();
    oldest.evict();
    expect(map.size).toBe(0);
    // Run dry, then refilled: it starts again from the front.
    expect(oldest.evict()).toBe(false);
    map.set("f", 0).set("g", 0);
    oldest.evict();
    expect([...map.keys()]).toEqual(["g"]);
  });

  it("keeps a full memory store at its bound, evicting the oldest verification", async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const id of ["v1", "v2", "v3", "v4", "v5"]) await store.open(id, 60_000);
    expect(store.size).toBe(3);
    expect((await store.record("v2", false, 5)).outcome).toBe("unknown");
    expect((await store.record("v3", false, 5)).outcome).toBe("rejected");
  });
});
