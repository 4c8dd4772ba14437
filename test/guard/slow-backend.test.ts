/**
 * A Redis that answers, but later than the guard's `timeoutMs`: a timed-out call has usually run
 * (or will still run) on Redis, so the guard must never send the same counter operation again,
 * and a count that Redis reached without a lockout must not refuse for the whole failure window.
 * The ledger is the memory store, so the guard's counter calls are its own batched script.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGuard, type AbuseGuard, type GuardOptions } from "../../src/index.js";
import type { CheckAttempt } from "../../src/guard/guard.js";
import { delayingProxy, type DelayingProxy } from "../helpers/network.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { email, harness, input, refusal, wrongCode } from "./helpers.js";

const available = await requireService("redis");

const TIMEOUT_MS = 100;
/** Well past the guard's timeout, so every call made while slow times out (and still lands). */
const SLOW_MS = 300;
const IP = "203.0.113.7";
const OFF: GuardOptions = { sendsPerIdentifier: false, resendCooldownSeconds: 0, sendsPerIp: false, failuresPerIp: false, channelBudgets: { email: false }, prefixVelocity: false };
const IP_BUDGET: GuardOptions = { failuresPerIp: { max: 50, windowSeconds: 3600 } };

describe.skipIf(!available)("guard on a Redis slower than its timeoutMs", () => {
  let proxy: DelayingProxy;
  let viaProxy: Redis;
  let direct: Redis;
  let keyPrefix: string;

  beforeAll(async () => {
    const redis = new URL(REDIS_URL);
    proxy = await delayingProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    viaProxy = new Redis({ host: "127.0.0.1", port: proxy.port, maxRetriesPerRequest: 1 });
    direct = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await recover();
    const keys = await direct.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await direct.del(...keys);
  });
  afterAll(async () => {
    viaProxy.disconnect();
    direct.disconnect();
    await proxy.close();
  });

  const guardWith = (options: GuardOptions): AbuseGuard => {
    keyPrefix = `guardtest-slow-${randomBytes(4).toString("hex")}`;
    return createGuard({ ...OFF, backend: { kind: "redis", client: viaProxy }, keyPrefix, timeoutMs: TIMEOUT_MS, ...options });
  };
  const slowDown = (): void => {
    proxy.delayMs = SLOW_MS;
  };
  /** Healthy again, once every call made while slow has run and been answered (replies keep their order). */
  const recover = async (): Promise<void> => {
    proxy.delayMs = 0;
    await viaProxy.ping();
  };
  /** The counter's keys in Redis, read directly: `{ "<limit>": points }` (one key per limit here). */
  const counts = async (): Promise<Record<string, number>> => {
    const keys = await direct.keys(`${keyPrefix}:*`);
    const values = await Promise.all(keys.map((key) => direct.get(key)));
    return Object.fromEntries(keys.map((key, index) => [key.slice(keyPrefix.length + 1).split(":")[0], Number(values[index])]));
  };

  it("a wrong guess while Redis is slow counts once in Redis, per identifier and per IP", async () => {
    const { otp } = harness({ guard: guardWith(IP_BUDGET) });
    const issued = await otp.generate(input(email(1)));
    slowDown();
    const error = await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: { ip: IP } }));
    expect(error.code).toBe("INVALID_OTP");
    await recover();
    expect(await counts()).toEqual({ failures_per_identifier: 1, failures_per_ip: 1 });
  });

  it("without insurance, a check while Redis is slow is STORE_UNAVAILABLE and counts once in Redis", async () => {
    const { otp } = harness({ guard: guardWith({ ...IP_BUDGET, insurance: false }) });
    const issued = await otp.generate(input(email(1)));
    slowDown();
    const error = await refusal(otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: { ip: IP } }));
    expect([error.code, error.status]).toEqual(["STORE_UNAVAILABLE", 503]);
    await recover();
    expect(await counts()).toEqual({ failures_per_identifier: 1, failures_per_ip: 1 });
  });

  it("after Redis recovers, the right code on a fresh verification is not refused for the failure window", async () => {
    const { otp } = harness({ guard: guardWith({ failuresPerIdentifier: 4 }) });
    const issued = await otp.generate(input(email(1)));
    slowDown();
    for (let guess = 0; guess < 2; guess++) {
      expect((await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login" }))).code).toBe("INVALID_OTP");
    }
    await recover();
    const fresh = await otp.generate(input(email(1)));
    await expect(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login" })).resolves.toBeTruthy();
  });

  it("a count Redis took to the maximum while insurance decided refuses for the lockout, which later refusals do not extend", async () => {
    const { otp } = harness({ guard: guardWith({ failuresPerIdentifier: 4, lockout: { baseSeconds: 60, maxSeconds: 120 } }) });
    const wrongGuess = async (): Promise<void> => {
      const issued = await otp.generate(input(email(1)));
      expect((await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login" }))).code).toBe("INVALID_OTP");
    };
    // Three failures counted in Redis, then one more while it is slow: Redis reaches the maximum,
    // but the decision was the insurance's (one failure), so no lockout started.
    for (let guess = 0; guess < 3; guess++) await wrongGuess();
    const last = await otp.generate(input(email(1)));
    slowDown();
    await refusal(otp.verify({ code: wrongCode(last.code), context: last.context, purpose: "login" }));
    await recover();

    const fresh = await otp.generate(input(email(1)));
    const refused = await refusal(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login" }));
    expect([refused.code, refused.limit, refused.retryAfterSeconds]).toEqual(["RATE_LIMITED", "failures_per_identifier", 60]);
    // Refused again during the lockout: the same lockout, not a new (longer) one.
    await sleep(1100);
    const again = await refusal(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login" }));
    expect([again.limit, again.retryAfterSeconds! <= 59]).toEqual(["failures_per_identifier", true]);
    const send = await refusal(otp.generate(input(email(1))));
    expect([send.limit, send.retryAfterSeconds! <= 59]).toEqual(["failures_per_identifier", true]);
    expect((await counts()).lockout_level).toBe(1);
  });

  it("a release while Redis is slow gives back one IP point, not two", async () => {
    const guard = guardWith(IP_BUDGET);
    // The guard matches a check's two calls by the attempt object itself.
    const attempt = (id: string): CheckAttempt => ({ id, identifier: email(1), identifierHash: "h1", purpose: "login", client: { ip: IP } });
    const failed = attempt("a");
    const succeeded = attempt("b");
    // One failure the IP keeps, then a check reserved while healthy and released while slow.
    await guard.beforeCheck(failed);
    await guard.afterCheck(failed, false);
    await guard.beforeCheck(succeeded);
    expect((await counts()).failures_per_ip).toBe(2);
    slowDown();
    await guard.afterCheck(succeeded, true);
    await guard.close();
    await recover();
    expect((await counts()).failures_per_ip).toBe(1);
  });
});
