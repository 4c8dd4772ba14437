import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { readPersistence } from "./redis-persistence.js";
import { EPOCH_SCRIPT } from "./redis-scripts.js";

/** The epoch confirmed on one connection (the client's stream when it was confirmed). */
export interface ConfirmedEpoch {
  stream: unknown;
  value: string;
}

/**
 * Confirms the epoch with the server on `client`'s current connection (see RedisStore, "epochs"):
 * its run id and persistence, then the epoch script, all on that one connection.
 */
export async function confirmEpoch(client: Redis, key: string, trustAppendOnly: boolean): Promise<string> {
  const stream = client.stream;
  const info = await client.info("server");
  const runId = /^run_id:(\w+)/m.exec(info)?.[1];
  if (!runId) throw new Error("redis did not report its run_id");
  const persistence = trustAppendOnly ? await readPersistence(client) : undefined;
  const lossless = persistence?.aof === true && persistence.appendfsync === "always";
  const epoch = (await client.eval(EPOCH_SCRIPT, 1, key, runId, lossless ? "1" : "0", randomBytes(9).toString("base64url"))) as string;
  if (client.stream !== stream) throw new Error("redis reconnected while the epoch was being confirmed");
  return epoch;
}
