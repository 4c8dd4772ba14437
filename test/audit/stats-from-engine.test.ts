/**
 * The stats of rows a real engine wrote: the guard's refusals counted by the limit's name (which
 * the row carries in its metadata), lockouts apart, checks' durations and the time to approve.
 */
import { describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";

describe("audit stats fed by the engine", () => {
  it("name the limit that refused each send, and measure checks and approvals", async () => {
    const channel = capturingChannel({ name: "sms", accepts: "phone" });
    const otp = createOtp({
      keys: generateKey("k1"),
      channels: [channel],
      guard: { resendCooldownSeconds: 0, sendsPerIdentifier: { max: 2, windowSeconds: 600 } },
    });
    const log = memoryAuditLog();
    const recorder = attachAuditLog(otp, log);
    const from = new Date(Date.now() - 60_000);
    const started: Array<{ context: string }> = [];
    for (let i = 0; i < 4; i++) {
      const result = await otp
        .start({ identifier: "+14155550123", purpose: "login", client: { ip: "203.0.113.5" } })
        .catch(() => undefined);
      if (result) started.push(result);
    }
    expect(started).toHaveLength(2);
    const code = channel.lastCodeFor("+14155550123")!;
    await otp.verify({ code, context: started[1]!.context, purpose: "login" });
    await recorder.close();

    const stats = await log.stats({ from, to: new Date(Date.now() + 60_000) });
    expect(stats.totals).toMatchObject({ sent: 2, approved: 1, rateLimited: 2, lockouts: 0 });
    expect(stats.rateLimitedByLimit).toEqual([{ limit: "sends_per_identifier", count: 2 }]);
    expect(stats.topIps).toEqual([{ value: "203.0.113.5", count: 2 }]);
    expect(stats.topPrefixes).toEqual([{ value: "+1415", count: 2 }]);
    expect(stats.topCountries).toEqual([{ value: "US", count: 2 }]);
    expect(stats.checkLatencyMs.p50).toBeGreaterThan(0);
    expect(stats.timeToApproveSeconds.p50).toBeGreaterThanOrEqual(0);
  });
});
