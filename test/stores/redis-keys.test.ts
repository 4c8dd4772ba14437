import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOtp, generateKey } from "../../src/index.js";
import { redisStore } from "../../src/stores/redis.js";
import { deleteKeys } from "../helpers/redis-keys.js";
import { REDIS_URL, requireService } from "../helpers/services.js";

const available = await requireService("redis");
const keyPrefix = `otp-test:keys:${process.pid}:`;

describe.skipIf(!available)("redis store keys", () => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeys(REDIS_URL, keyPrefix);
    client.disconnect();
  });

  it("hash-tags the id and expires the key with the session window", async () => {
    const store = redisStore({ client, keyPrefix });
    const otp = createOtp({ keys: generateKey("k1"), store, sessionTtlSeconds: 600, guard: false });
    const { id } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const key = `${keyPrefix}{${id}}`;
    expect(await client.get(key)).toMatch(/^p0:[\w-]+$/);
    const ttlMs = await client.pttl(key);
    expect(ttlMs).toBeGreaterThan(599_000);
    expect(ttlMs).toBeLessThanOrEqual(600_000);
  });

  it("stores no code and no identifier, only state and attempts", async () => {
    const store = redisStore({ client, keyPrefix });
    const otp = createOtp({ keys: generateKey("k1"), store, guard: false });
    const { id, code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await otp.verify({ code, context, purpose: "login" });
    expect(await client.get(`${keyPrefix}{${id}}`)).toMatch(/^c1:[\w-]+$/);
  });

  it("leaves a client the caller built connected", async () => {
    const store = redisStore({ client, keyPrefix });
    await store.close();
    expect(await client.ping()).toBe("PONG");
  });

  it("refuses a prefix that would break the hash tag", () => {
    expect(() => redisStore({ client, keyPrefix: "otp:{x}:" })).toThrow(TypeError);
  });
});
