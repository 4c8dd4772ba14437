import { describe, expect, it, vi } from "vitest";
import { MemoryWindows } from "../../src/guard/memory-windows.js";
import { useFakeTime } from "./helpers.js";

describe("memory windows (the guard's in-process counters)", () => {
  useFakeTime();

  it("a window starts at a key's first point, counts, and ends after its duration", () => {
    const windows = new MemoryWindows();
    expect(windows.take("k", 60_000)).toEqual({ points: 1, msLeft: 60_000 });
    vi.advanceTimersByTime(20_000);
    expect(windows.take("k", 60_000)).toEqual({ points: 2, msLeft: 40_000 });
    vi.advanceTimersByTime(40_000);
    expect(windows.peek("k")).toBeNull();
    expect(windows.take("k", 60_000)).toEqual({ points: 1, msLeft: 60_000 });
  });

  it("giving back never makes a count below zero, and never starts a window", () => {
    const windows = new MemoryWindows();
    windows.giveBack("absent");
    expect(windows.peek("absent")).toBeNull();
    windows.take("k", 1000);
    windows.giveBack("k");
    expect(windows.peek("k")).toEqual({ points: 0, msLeft: 1000 });
  });

  it("a set (a block) replaces the window; forget ends it", () => {
    const windows = new MemoryWindows();
    windows.take("k", 1000);
    windows.set("k", 6, 900_000);
    expect(windows.peek("k")).toEqual({ points: 6, msLeft: 900_000 });
    windows.forget("k");
    expect(windows.peek("k")).toBeNull();
  });

  it("expired windows nobody reads again are swept by later writes: memory stays bounded", () => {
    const windows = new MemoryWindows();
    for (let i = 0; i < 100_000; i++) windows.take(`old-${i}`, 1000);
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 100_000; i++) windows.take(`new-${i}`, 1000);
    expect(windows.size).toBeLessThan(110_000);
  });
});
