/**
 * With shouldSend and asyncDelivery, a real account's start and a decoy's return after the same
 * work: what a delivery renders, signs or connects happens after the answer for both, so the time
 * to answer tells an observer nothing about whether the account exists.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOtp, generateKey, webhookChannel } from "../../src/index.js";
import { startHttpServer, type TestHttpServer } from "../helpers/http.js";

const SAMPLES = 300;

/** The best accuracy any single latency threshold reaches in telling the two groups apart. */
function bestThresholdAccuracy(real: number[], decoy: number[]): number {
  const all = [...real.map((ms) => [ms, 1] as const), ...decoy.map((ms) => [ms, 0] as const)].sort((a, b) => a[0] - b[0]);
  const total = all.length;
  let realBelow = 0;
  let decoyBelow = 0;
  let best = 0.5;
  for (const [, isReal] of all) {
    if (isReal) realBelow++;
    else decoyBelow++;
    // "Below the threshold is real" or "below is decoy", whichever is right more often.
    const realLow = (realBelow + (decoy.length - decoyBelow)) / total;
    best = Math.max(best, realLow, 1 - realLow);
  }
  return best;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe("no enumeration by timing (shouldSend + asyncDelivery)", () => {
  let receiver: TestHttpServer;
  beforeAll(async () => {
    receiver = await startHttpServer(() => ({ status: 204 }));
  });
  afterAll(() => receiver.close());

  it(`a real send and a decoy answer alike over ${SAMPLES} samples each`, async () => {
    // A channel with real synchronous work per delivery: templates rendered, the payload signed.
    const channel = webhookChannel({
      name: "email",
      accepts: "email",
      url: `${receiver.url}/hook`,
      secret: "timing-secret-0123456789",
      render: {},
    });
    const otp = createOtp({
      keys: generateKey("timing"),
      channels: [channel],
      asyncDelivery: true,
      shouldSend: ({ identifier }) => identifier.startsWith("real"),
      guard: false,
    });
    const real: number[] = [];
    const decoy: number[] = [];
    const probe = async (identifier: string): Promise<number> => {
      const started = process.hrtime.bigint();
      await otp.start({ identifier, purpose: "login" });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      // Let the deferred delivery finish, and the connection work it leaves behind settle, before
      // the next probe: an observer's probes are a network round trip apart, not microseconds.
      await otp.close();
      await sleep(3);
      return elapsed;
    };
    // Warm-up, then alternate so the machine's drift falls on both alike.
    for (let i = 0; i < 50; i++) await probe(`${i % 2 ? "real" : "ghost"}-warm${i}@example.com`);
    // In a shuffled order: what a delivery leaves behind (its connection, its garbage) slows
    // whichever probe comes next, so each kind must follow the other as often as itself.
    const order = [...Array<boolean>(SAMPLES).fill(true), ...Array<boolean>(SAMPLES).fill(false)];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const [i, isReal] of order.entries()) {
      if (isReal) real.push(await probe(`real${i}@example.com`));
      else decoy.push(await probe(`ghost${i}@example.com`));
    }
    await otp.close();
    expect(receiver.requests.length).toBeGreaterThanOrEqual(SAMPLES);
    const [realMedian, decoyMedian] = [median(real), median(decoy)];
    expect(
      Math.abs(realMedian - decoyMedian) / Math.min(realMedian, decoyMedian),
      `medians ${realMedian} / ${decoyMedian} ms`,
    ).toBeLessThanOrEqual(0.1);
    expect(bestThresholdAccuracy(real, decoy)).toBeLessThanOrEqual(0.6);
  });
});
