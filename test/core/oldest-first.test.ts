import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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

  it("lets its iterator go once the map turns over without needing it", () => {
    const map = new Map<number, number>();
    const oldest = new OldestFirst(map);
    for (let i = 0; i < 12; i++) map.set(i, i);
    expect(oldest.trimTo(10)).toBe(2);
    expect(oldest.holdsIterator).toBe(true);
    // Entries now leave on their own (verified, expired): nothing to evict, the iterator idles.
    for (let i = 12; i < 400; i++) {
      map.set(i, i);
      map.delete(i - 5);
      oldest.trimTo(10);
    }
    expect(oldest.holdsIterator).toBe(false);
    // Needed again: it starts from the front, in insertion order.
    for (let i = 400; i < 420; i++) map.set(i, i);
    oldest.trimTo(3);
    expect([...map.keys()]).toEqual([417, 418, 419]);
  });

  it("does not hold memory for every insert and delete while idle", async () => {
    // V8 keeps, for a live iterator that does not move, every table the map is rehashed into:
    // about 60 bytes an insert and delete, so a million would hold some 60 MB.
    const source = fileURLToPath(new URL("../../src/core/oldest-first.ts", import.meta.url));
    const script = `
      const { OldestFirst } = await import(${JSON.stringify(source)});
      const map = new Map();
      const oldest = new OldestFirst(map);
      for (let i = 0; i < 300; i++) map.set("k" + i, i);
      oldest.trimTo(200);
      globalThis.gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 300; i < 1_000_300; i++) {
        map.set("k" + i, i);
        map.delete("k" + (i - 150));
        oldest.trimTo(200);
      }
      globalThis.gc();
      // Printed after the measure, so that the tracker (and any iterator it holds) is alive for it.
      console.log(process.memoryUsage().heapUsed - before, oldest.holdsIterator);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", script]);
    const [grownBytes] = stdout.trim().split(" ");
    expect(Number(grownBytes) / 1e6).toBeLessThan(8);
  }, 60_000);
});
