// In drivers/, not stores/: the Redis ledger and the guard's Redis counters both wait on a client through it.
import type { Cluster, Redis } from "ioredis";

/** One wait per client, shared by every caller that arrives while it connects. */
const connecting = new WeakMap<Redis | Cluster, Promise<void>>();

/**
 * Resolves once `client` is connected. A client that has not connected yet (lazy, or just built)
 * is given `timeoutMs` to do so, and every caller meanwhile shares one wait (one set of
 * listeners, not one each); one that lost its connection fails at once, so callers are refused
 * without waiting. `lastError` names why, when the caller keeps the client's last error.
 */
export function redisReady(
  client: Redis | Cluster,
  timeoutMs: number,
  lastError: () => Error | undefined = () => undefined,
): Promise<void> {
  switch (client.status) {
    case "ready":
      return Promise.resolve();
    case "wait":
    case "connecting":
    case "connect": {
      let wait = connecting.get(client);
      if (!wait) {
        wait = waitUntilReady(client, timeoutMs, lastError).finally(() => connecting.delete(client));
        connecting.set(client, wait);
      }
      return wait;
    }
    default: {
      const error = lastError();
      return Promise.reject(new Error(`redis is not connected (${client.status})${error ? `: ${error.message}` : ""}`));
    }
  }
}

function waitUntilReady(client: Redis | Cluster, timeoutMs: number, lastError: () => Error | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      const error = lastError();
      reject(new Error(`redis did not connect${error ? `: ${error.message}` : ""}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("close", onEnd);
      client.off("end", onEnd);
    };
    const timer = setTimeout(onEnd, timeoutMs);
    client.once("ready", onReady);
    client.once("close", onEnd);
    client.once("end", onEnd);
    if (client.status === "wait") client.connect().catch(() => undefined);
  });
}
