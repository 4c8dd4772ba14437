import { closedPort, silentServer, tcpProxy } from "../helpers/network.js";
import { deleteKeys } from "../helpers/redis-keys.js";
import { REDIS_URL, requireService } from "../helpers/services.js";
import { redisStore } from "../../src/stores/redis.js";
import { runStoreConformance } from "../../src/testing/index.js";

const available = await requireService("redis");
const keyPrefix = `otp-test:conf:${process.pid}:`;
const upstream = new URL(REDIS_URL);
const urlAt = (port: number) => `redis://127.0.0.1:${port}`;

runStoreConformance(
  "redis",
  async () => ({ store: redisStore({ url: REDIS_URL, keyPrefix }), teardown: () => deleteKeys(REDIS_URL, keyPrefix) }),
  {
    skip: !available,
    sibling: async () => ({ store: redisStore({ url: REDIS_URL, keyPrefix }) }),
    unavailable: {
      "closed port": async () => ({ store: redisStore({ url: urlAt(await closedPort()), keyPrefix }) }),
      "silent server": async () => {
        const server = await silentServer();
        return { store: redisStore({ url: urlAt(server.port), keyPrefix }), teardown: server.close };
      },
    },
    outage: async () => {
      const proxy = await tcpProxy({ host: upstream.hostname, port: Number(upstream.port || 6379) });
      return { store: redisStore({ url: urlAt(proxy.port), keyPrefix }), stop: proxy.stop, resume: proxy.resume, teardown: proxy.close };
    },
  },
);
