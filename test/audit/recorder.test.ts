import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/audit-log.js";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { timeOrderedId } from "../../src/audit/event-id.js";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { createOtp, generateKey, OtpError } from "../../src/index.js";
import { auditRecord } from "../helpers/audit-records.js";

/** A memory log that refuses writes while `down` is true. */
function flakyLog() {
  const log = memoryAuditLog();
  const state = { down: false, writes: 0 };
  const append = log.append.bind(log);
  log.append = async (records: readonly AuditRecord[]) => {
    state.writes += 1;
    if (state.down) throw new Error("audit store down");
    await append(records);
  };
  return { log, state };
}

describe("audit event ids", () => {
  it("are unique UUIDv7s that sort in time order", () => {
    // 10,000 ids: the 12-bit counter wraps twice, each time under a new random part.
    const ids = Array.from({ length: 10_000 }, (_, i) => timeOrderedId(1_700_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (let i = 10; i < ids.length; i += 10) expect(ids[i - 1]! < ids[i]!).toBe(true);
  });

  it("stay unique within one millisecond past the counter's wrap", () => {
    const ids = Array.from({ length: 3 * 4096 }, () => timeOrderedId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("audit recorder", () => {
  it("keeps records through a failed write and writes them once the log is back", async () => {
    const { log, state } = flakyLog();
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const errors: unknown[] = [];
    const recorder = attachAuditLog(otp, log, { batchSize: 5, flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
    state.down = true;
    for (let i = 0; i < 12; i++) await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expect(recorder.flush()).rejects.toThrow("audit store down");
    expect(recorder.pending).toBe(12);
    state.down = false;
    await recorder.close();
    expect(recorder.pending).toBe(0);
    expect(log.size).toBe(12);
    expect(errors.length).toBeGreaterThan(0);
  });

  it("drops the oldest records past maxBuffered, and counts them", async () => {
    const { log, state } = flakyLog();
    state.down = true;
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 1000, maxBuffered: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const kept = recorder.pending;
    expect(kept).toBeLessThanOrEqual(10);
    expect(kept).toBeGreaterThanOrEqual(9);
    expect(kept + recorder.dropped).toBe(25);
    state.down = false;
    await recorder.close();
    expect(log.size).toBe(kept);
  });

  it("holds at most maxBuffered records, those being written included", async () => {
    const log = memoryAuditLog();
    // Writes that hang: every record handed to one stays held until it ends.
    const hung: Array<() => void> = [];
    log.append = () => new Promise<void>((_resolve, reject) => hung.push(() => reject(new Error("gave up"))));
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 10, maxBuffered: 50, flushIntervalMs: 60_000 });
    for (let i = 0; i < 200; i++) await otp.generate({ identifier: `user${i}@example.com`, purpose: "login" });
    expect(hung.length).toBeGreaterThan(0);
    expect(recorder.pending).toBeLessThanOrEqual(50);
    expect(recorder.pending + recorder.dropped).toBe(200);
    // A failed write's records come back into the bound, not on top of it.
    for (const fail of hung.splice(0)) fail();
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.pending).toBeLessThanOrEqual(50);
    expect(recorder.pending + recorder.dropped).toBe(200);
    expect(recorder.writeFailures).toBeGreaterThan(0);
  });

  it("strict: keeps every record, and the guarded engine refuses new codes and checks while full", async () => {
    const { log, state } = flakyLog();
    state.down = true;
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 1000, maxBuffered: 10, strict: true, flushIntervalMs: 60_000 });
    const guarded = recorder.refuseWhenFull(otp);
    const first = await guarded.generate({ identifier: "user@example.com", purpose: "login" });
    for (let i = 0; i < 9; i++) await guarded.generate({ identifier: "user@example.com", purpose: "login" });
    expect(recorder.full).toBe(true);
    expect(recorder.status()).toMatchObject({ state: "full", held: 10, strict: true, dropped: 0 });
    const refused = await guarded.generate({ identifier: "user@example.com", purpose: "login" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OtpError);
    expect(refused).toMatchObject({ code: "STORE_UNAVAILABLE", status: 503 });
    await expect(guarded.verify({ code: first.code, context: first.context, purpose: "login" })).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
    });
    // What runs anyway (here through the engine itself) is kept, past the bound: nothing is dropped.
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(recorder.pending).toBe(11);
    expect(recorder.dropped).toBe(0);
    // Cancelling is never refused, nor is an operator's cancel by id.
    await guarded.revoke(first.context);
    const other = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await guarded.cancel(other.id);
    // What opens a way in is refused as a check is: an operator's unlock, an authenticator app's factor.
    await expect(guarded.unlock({ identifier: "user@example.com", purpose: "login" })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    await expect(guarded.totp.enrol({ account: "user@example.com", issuer: "Example" })).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
    });
    const enrolment = await otp.totp.enrol({ account: "user@example.com", issuer: "Example" });
    await expect(guarded.totp.confirm({ factor: enrolment.factor, code: "000000" })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    expect(recorder.status().refused).toBe(5);

    state.down = false;
    await recorder.flush();
    expect(recorder.status()).toMatchObject({ state: "ok", held: 0, failing: false });
    await expect(guarded.verify({ code: first.code, context: first.context, purpose: "login" })).rejects.toMatchObject({
      code: "CANCELED",
    });
    await guarded.generate({ identifier: "user@example.com", purpose: "login" });
    await recorder.close();
    expect(log.size).toBe(17);
  });

  it("reports itself degraded past degradedAt or while its writes fail", async () => {
    const { log, state } = flakyLog();
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 1000, maxBuffered: 100, degradedAt: 5, flushIntervalMs: 60_000 });
    for (let i = 0; i < 4; i++) await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(recorder.status()).toMatchObject({ state: "ok", held: 4, degradedAt: 5 });
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    expect(recorder.status().state).toBe("degraded");
    await recorder.flush();
    expect(recorder.status()).toMatchObject({ state: "ok", held: 0 });
    state.down = true;
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await expect(recorder.flush()).rejects.toThrow();
    expect(recorder.status()).toMatchObject({ state: "degraded", held: 1, failing: true, writeFailures: 1 });
    state.down = false;
    await recorder.close();
  });

  it("writes in batches from the listener without waiting for the interval", async () => {
    const { log, state } = flakyLog();
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 4, flushIntervalMs: 60_000 });
    for (let i = 0; i < 8; i++) await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.size).toBe(8);
    expect(state.writes).toBe(2);
    await recorder.close();
  });

  it("keeps up with a log slower than the events: writes grow, a few at most run at once, nothing is lost", async () => {
    const log = memoryAuditLog({ maxRows: 100_000 });
    const append = log.append.bind(log);
    const sizes: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    log.append = async (records: readonly AuditRecord[]) => {
      sizes.push(records.length);
      mostAtOnce = Math.max(mostAtOnce, ++running);
      // A round trip that takes a while: events keep coming meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await append(records);
      running -= 1;
    };
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 3000; i++) {
      await otp.generate({ identifier: `user${i}@example.com`, purpose: "login" });
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await recorder.close();
    expect(log.size).toBe(3000);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    // One write per batch of 10 would be 300 round trips.
    expect(sizes.length).toBeLessThan(100);
    expect(Math.max(...sizes)).toBeGreaterThan(10);
  });

  it("ends a flush under steady traffic, with everything buffered before it written", async () => {
    const log = memoryAuditLog({ maxRows: 1_000_000 });
    const append = log.append.bind(log);
    log.append = async (records: readonly AuditRecord[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await append(records);
    };
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 50, flushIntervalMs: 60_000 });
    // Events never stop while the flush runs: the buffer is never empty for long.
    let traffic = true;
    let sent = 0;
    const generating = (async () => {
      while (traffic) {
        await otp.generate({ identifier: `user${sent++}@example.com`, purpose: "login" });
        if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = sent;
    const flushed = await Promise.race([
      recorder.flush().then(() => "flushed"),
      new Promise((resolve) => setTimeout(resolve, 10_000, "still flushing")),
    ]);
    const stored = log.size;
    traffic = false;
    await generating;
    await recorder.close();
    expect(flushed).toBe("flushed");
    expect(stored).toBeGreaterThanOrEqual(before);
    expect(log.size).toBe(sent);
  });

  it("purges past the retention period on start", async () => {
    const log = memoryAuditLog();
    await log.append([auditRecord({ eventId: "old", at: new Date(Date.now() - 40 * 86_400_000) })]);
    const recorder = attachAuditLog(createOtp({ keys: generateKey("k1"), guard: false }), log, { retentionDays: 30 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.size).toBe(0);
    await recorder.close();
  });

  it("keeps writing on its interval after idle ticks, and closes promptly", async () => {
    const log = memoryAuditLog();
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log, { batchSize: 1000, flushIntervalMs: 5 });
    // Several ticks with nothing to write must leave the recorder ready for the next batch.
    await new Promise((resolve) => setTimeout(resolve, 40));
    for (let i = 0; i < 3; i++) await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log.size).toBe(3);
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await recorder.close();
    expect(log.size).toBe(4);
  });

  it("stops listening on close", async () => {
    const log = memoryAuditLog();
    const otp = createOtp({ keys: generateKey("k1"), guard: false });
    const recorder = attachAuditLog(otp, log);
    await recorder.close();
    await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.size).toBe(0);
  });
});
