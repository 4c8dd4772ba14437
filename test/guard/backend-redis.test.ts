import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe } from "vitest";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { backendSuite } from "./backend-suite.js";

const available = await requireService("redis");
let client: Redis;

describe.skipIf(!available)("redis backend", () => {
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await client.keys("guardtest-redis-*");
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  backendSuite("redis", { backend: async () => ({ backend: { kind: "redis", client }, keyPrefix: `guardtest-redis-${randomBytes(4).toString("hex")}` }) });
});
