import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe } from "vitest";
import { redisCounters } from "../../src/index.js";
import { redisStore } from "../../src/stores/redis.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { backendSuite } from "../helpers/guard-backend-suite.js";

const available = await requireService("redis");
let client: Redis;
const keyPrefix = () => `guardtest-redis-${randomBytes(4).toString("hex")}:`;

describe.skipIf(!available)("redis backend", () => {
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await client.keys("guardtest-redis-*");
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  backendSuite("redis", { counters: async () => redisCounters({ client, keyPrefix: keyPrefix() }) });
  // As createOtp wires it by default: the counters on the ledger's own client.
  backendSuite("redis, with the ledger on the same client", {
    counters: async () => redisCounters({ client, keyPrefix: keyPrefix() }),
    store: async () => redisStore({ client, keyPrefix: keyPrefix() }),
  });
});
