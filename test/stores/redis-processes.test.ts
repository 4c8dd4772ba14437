import { deleteKeys } from "../helpers/redis-keys.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { describeTwoProcesses } from "../helpers/two-processes.js";
import { redisStore } from "../../src/stores/redis.js";

const keyPrefix = `otp-test:procs:${process.pid}:`;

describeTwoProcesses("redis", await requireService("redis"), async () => {
  const store = redisStore({ url: REDIS_URL, keyPrefix });
  await store.migrate();
  const teardown = async () => {
    await store.close();
    await deleteKeys(REDIS_URL, keyPrefix);
  };
  return { store, env: { HAMMER_STORE: "redis", HAMMER_URL: REDIS_URL, HAMMER_PREFIX: keyPrefix }, teardown };
});
