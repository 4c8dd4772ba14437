import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeys } from "../helpers/redis-keys.js";
import { hammerFromTwoProcesses, sum } from "../helpers/two-processes.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { redisStore, type RedisStore } from "../../src/stores/redis.js";

const available = await requireService("redis");
const keyPrefix = `otp-test:procs:${process.pid}:`;

describe.skipIf(!available)("redis shared by two processes", () => {
  let store: RedisStore;
  beforeAll(async () => {
    store = redisStore({ url: REDIS_URL, keyPrefix });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await deleteKeys(REDIS_URL, keyPrefix);
  });

  it("holds the attempt limit and single use across both", async () => {
    const reports = await hammerFromTwoProcesses(store, { HAMMER_STORE: "redis", HAMMER_URL: REDIS_URL, HAMMER_PREFIX: keyPrefix });
    expect(sum(reports, "wrongGuesses", "INVALID_OTP")).toBe(3);
    expect(sum(reports, "wrongGuesses", "MAX_RETRIES_EXCEEDED")).toBe(397);
    expect(sum(reports, "rightGuesses", "verified")).toBe(1);
    expect(sum(reports, "rightGuesses", "ALREADY_USED")).toBe(99);
  }, 60_000);
});
