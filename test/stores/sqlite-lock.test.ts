/**
 * Another connection (another process, in production) holds the SQLite write lock. A check waits
 * for it without stalling the event loop, and at its deadline gives up having applied nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { StoreTimeoutError } from "../../src/core/util/with-timeout.js";

const dir = mkdtempSync(join(tmpdir(), "otp-sqlite-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * While `work` ran: the longest a timer of `everyMs` fired late (how long the event loop was
 * blocked at once) and how many times it fired (a loop blocked for the whole wait fires none).
 */
async function eventLoopLag<T>(
  work: () => Promise<T>,
  everyMs = 5,
): Promise<{ result: PromiseSettledResult<T>; maxLagMs: number; ticks: number }> {
  let maxLagMs = 0;
  let ticks = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - everyMs);
    last = now;
    ticks += 1;
  }, everyMs);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(timer);
  return { result: result!, maxLagMs, ticks };
}

/** A second connection to `path` holding the write lock until the returned function releases it. */
function holdWriteLock(path: string): () => void {
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  return () => {
    other.exec("ROLLBACK");
    other.close();
  };
}

describe("sqlite store while another connection holds the write lock", () => {
  it("keeps the event loop answering while a check waits, rejects it at its deadline, and the code still verifies afterwards", async () => {
    const path = join(dir, "check.db");
    const store = sqliteStore({ path });
    await store.migrate();
    await store.open("v1", 60_000);
    const release = holdWriteLock(path);

    const deadlineMs = Date.now() + 600;
    const { result, maxLagMs, ticks } = await eventLoopLag(() => store.record("v1", true, 3, { deadlineMs }));
    const endedAt = Date.now();
    release();

    expect(result.status).toBe("rejected");
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreTimeoutError);
    // It waited (for the lock) up to its deadline, and no longer.
    expect(endedAt).toBeGreaterThanOrEqual(deadlineMs - 50);
    // Bounds with room for a loaded machine's scheduling: blocking in SQLite's own busy wait (1 s
    // a statement) ends hundreds of milliseconds late and fires the timer not at all meanwhile.
    expect(endedAt - deadlineMs).toBeLessThan(250);
    expect(maxLagMs).toBeLessThan(300);
    expect(ticks).toBeGreaterThanOrEqual(20);
    // Nothing was applied: the right code is approved on its first counted attempt.
    expect(await store.record("v1", true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    await store.close();
  });

  it("answers a trivial operation within 100 ms while three checks wait for the lock", async () => {
    const path = join(dir, "three.db");
    const store = sqliteStore({ path });
    await store.migrate();
    for (const id of ["a", "b", "c"]) await store.open(id, 60_000);
    const release = holdWriteLock(path);

    const checks = ["a", "b", "c"].map((id) =>
      store.record(id, true, 3, { deadlineMs: Date.now() + 800 }).catch((error: unknown) => error),
    );
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const startedAt = performance.now();
      await new Promise((resolve) => setImmediate(resolve));
      // A read on the store's own connection: WAL readers never wait for the writer.
      store.database.prepare("SELECT count(*) AS n FROM otp_ledger").get();
      latencies.push(performance.now() - startedAt);
    }
    const errors = await Promise.all(checks);
    release();

    // The median, so one scheduling hiccup of a loaded machine is not read as the loop blocked.
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(100);
    for (const error of errors) expect(error).toBeInstanceOf(StoreTimeoutError);
    for (const id of ["a", "b", "c"]) expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    await store.close();
  });

  it("applies a check that the lock lets through before its deadline", async () => {
    const path = join(dir, "through.db");
    const store = sqliteStore({ path });
    await store.migrate();
    await store.open("v1", 60_000);
    const release = holdWriteLock(path);
    setTimeout(release, 200);
    expect(await store.record("v1", true, 3, { deadlineMs: Date.now() + 2_000 })).toEqual({ outcome: "approved", attempts: 1 });
    await store.close();
  });
});
