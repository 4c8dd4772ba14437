import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBatcher } from "../../src/guard/redis-batch.js";
import { REDIS_URL, requireService } from "../helpers/services.js";

const available = await requireService("redis");
const prefix = `guardtest-batch-${randomBytes(4).toString("hex")}`;
let client: Redis;

describe.skipIf(!available)("Redis batch of the check path", () => {
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it("counts on the same keys, with the same windows, as rate-limiter-flexible", async () => {
    const batcher = new RedisBatcher(client, 1000);
    const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: prefix, points: 10, duration: 60 });
    await limiter.consume("a");
    const [first, second] = await Promise.all([
      batcher.run([{ kind: "take", key: `${prefix}:a`, windowSeconds: 60 }]),
      batcher.run([
        { kind: "take", key: `${prefix}:a`, windowSeconds: 60 },
        { kind: "take", key: `${prefix}:b`, windowSeconds: 30 },
      ]),
    ]);
    expect(first[0]![0]).toBe(2);
    expect(second[0]![0]).toBe(3);
    expect(second[1]![0]).toBe(1);
    expect(second[1]![1]).toBeGreaterThan(29_000);
    expect(second[1]![1]).toBeLessThanOrEqual(30_000);
    expect((await limiter.get("a"))!.consumedPoints).toBe(3);

    await batcher.run([{ kind: "giveBack", key: `${prefix}:a` }, { kind: "forget", key: `${prefix}:b` }, { kind: "giveBack", key: `${prefix}:missing` }]);
    expect((await limiter.get("a"))!.consumedPoints).toBe(2);
    expect(await limiter.get("b")).toBeNull();
    expect(await limiter.get("missing")).toBeNull();
  });

  it("gathers parallel calls into few script calls, each still atomic", async () => {
    const batcher = new RedisBatcher(client, 1000);
    const results = await Promise.all(Array.from({ length: 200 }, () => batcher.run([{ kind: "take", key: `${prefix}:many`, windowSeconds: 60 }])));
    expect(results.map((result) => result[0]![0]).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("rejects every caller of a call Redis does not answer in time", async () => {
    const dead = new Redis({ host: "127.0.0.1", port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on("error", () => {});
    const batcher = new RedisBatcher(dead, 100);
    await expect(batcher.run([{ kind: "take", key: "x", windowSeconds: 1 }])).rejects.toThrow();
    dead.disconnect();
  });
});
