import { Cluster } from "ioredis";
import { clusterUnavailableReason, startCluster, type LocalCluster } from "../helpers/redis-cluster.js";
import { IN_CI } from "../helpers/services.js";
import { redisStore } from "../../src/stores/redis.js";
import { runStoreConformance } from "../../src/testing/index.js";

const reason = clusterUnavailableReason();
if (reason && IN_CI) throw new Error(`cannot start a Redis Cluster: ${reason}`);
if (reason) console.warn(`skipping the Redis Cluster run: ${reason}`);

let cluster: LocalCluster | undefined;

function clusterClient(nodes: LocalCluster["nodes"]): Cluster {
  return new Cluster(nodes, { enableOfflineQueue: false, redisOptions: { commandTimeout: 1000, connectTimeout: 1000 } });
}

runStoreConformance(
  "redis cluster (3 masters)",
  async () => {
    cluster = await startCluster();
    const client = clusterClient(cluster.nodes);
    const store = redisStore({ client, keyPrefix: "otp:" });
    return {
      store,
      teardown: async () => {
        client.disconnect();
        await cluster?.stop();
      },
    };
  },
  {
    skip: reason !== undefined,
    sibling: async () => {
      const client = clusterClient(cluster!.nodes);
      return { store: redisStore({ client }), teardown: async () => client.disconnect() };
    },
  },
);
