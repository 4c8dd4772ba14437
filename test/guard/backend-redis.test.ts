import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuard } from "../../src/index.js";
import { redisStore } from "../../src/stores/redis.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { backendSuite } from "./backend-suite.js";
import { email, harness, input, refusal, wrongCode } from "./helpers.js";

const available = await requireService("redis");
let client: Redis;
const keyPrefix = () => `guardtest-redis-${randomBytes(4).toString("hex")}`;

describe.skipIf(!available)("redis backend", () => {
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await client.keys("guardtest-redis-*");
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  backendSuite("redis", { backend: async () => ({ backend: { kind: "redis", client }, keyPrefix: keyPrefix() }) });
  // The same limits when the ledger shares the guard's client: they run inside the check's script.
  backendSuite("redis, with the ledger on the same client", {
    backend: async () => ({ backend: { kind: "redis", client }, keyPrefix: keyPrefix() }),
    store: async () => redisStore({ client, keyPrefix: `${keyPrefix()}:` }),
  });

  it("with the ledger on the same client, a guarded check is one command, right or wrong", async () => {
    const guard = createGuard({ backend: { kind: "redis", client }, keyPrefix: keyPrefix(), insurance: false });
    const { otp } = harness({ guard, store: redisStore({ client, keyPrefix: `${keyPrefix()}:` }) });
    const issued = await otp.generate(input(email(1)));
    const sent: string[] = [];
    const sendCommand = client.sendCommand.bind(client);
    client.sendCommand = (command, stream) => {
      sent.push(command.name);
      return sendCommand(command, stream);
    };
    try {
      await refusal(otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: { ip: "203.0.113.1" } }));
      await otp.verify({ code: issued.code, context: issued.context, purpose: "login", client: { ip: "203.0.113.1" } });
      await guard.close();
    } finally {
      client.sendCommand = sendCommand;
    }
    expect(sent).toEqual(["evalsha", "evalsha"]);
  });
});
