/**
 * Repeated warnings are folded: at most one line a second per cause, the next carrying how many
 * it stands for. An outage answered with a 503 per request is a line a second, not one a request.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryStore } from "../../src/stores/memory.js";
import { WarningFolder } from "../../src/server/warnings.js";
import { AUTH, testServer } from "../helpers/server.js";

function recorder() {
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  return { lines, log: { warn: (fields: Record<string, unknown>, message: string) => void lines.push({ fields, message }) } };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("WarningFolder", () => {
  it("writes the first of a cause at once, then one line a second with the count it folded", () => {
    const { lines, log } = recorder();
    const folder = new WarningFolder();
    for (let i = 0; i < 400; i++) folder.warn(log, "store down", { i }, "request failed");
    expect(lines).toEqual([{ fields: { i: 0 }, message: "request failed" }]);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ fields: { i: 399, folded: 399 }, message: "request failed" });
    // Ten seconds of 400 a second: ten more lines, each standing for its second's 400.
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 400; i++) folder.warn(log, "store down", { i }, "request failed");
      vi.advanceTimersByTime(1000);
    }
    expect(lines).toHaveLength(12);
    expect(lines.slice(2).every((line) => line.fields.folded === 400)).toBe(true);
  });

  it("folds each cause on its own, and forgets a cause that went quiet", () => {
    const { lines, log } = recorder();
    const folder = new WarningFolder();
    folder.warn(log, "a", {}, "first a");
    folder.warn(log, "b", {}, "first b");
    folder.warn(log, "a", {}, "second a");
    expect(lines.map((line) => line.message)).toEqual(["first a", "first b"]);
    vi.advanceTimersByTime(1000);
    expect(lines.map((line) => line.message)).toEqual(["first a", "first b", "second a"]);
    expect(lines[2]!.fields.folded).toBe(1);
    // b folded nothing: its window closes silently. A quiet second later, a is new again.
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    folder.warn(log, "a", {}, "third a");
    expect(lines).toHaveLength(4);
    expect(lines[3]).toEqual({ fields: {}, message: "third a" });
  });

  it("writes unfolded past its cap on causes, and survives a logger that throws", () => {
    const { lines, log } = recorder();
    const folder = new WarningFolder({ maxCauses: 2 });
    for (const cause of ["a", "b", "c", "c"]) folder.warn(log, cause, {}, cause);
    expect(lines.map((line) => line.message)).toEqual(["a", "b", "c", "c"]);
    const throwing = {
      warn: () => {
        throw new Error("log down");
      },
    };
    expect(() => folder.warn(throwing, "d", {}, "d")).not.toThrow();
  });
});

describe("the service's 503s", () => {
  it("are one warning line a second however many requests fail", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const store = new MemoryStore();
    store.open = async () => {
      throw new Error("connect ECONNREFUSED 10.0.0.1:6379");
    };
    const { app } = await testServer({ store, logger: { level: "warn", stream } });
    for (let i = 0; i < 50; i++) {
      const answer = await app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: AUTH,
        payload: { identifier: `u${i}@example.com`, purpose: "login" },
      });
      expect(answer.statusCode).toBe(503);
    }
    const failed = () => lines.filter((line) => line.msg === "request failed");
    expect(failed()).toHaveLength(1);
    expect(failed()[0]).toMatchObject({ level: 40, errorCode: "STORE_UNAVAILABLE" });
    vi.advanceTimersByTime(1000);
    expect(failed()).toHaveLength(2);
    expect(failed()[1]).toMatchObject({ errorCode: "STORE_UNAVAILABLE", folded: 49 });
    await app.close();
  });
});
