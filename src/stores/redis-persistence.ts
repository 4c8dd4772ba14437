import type { Redis } from "ioredis";

/** What a Redis server keeps across a restart, as far as it tells. */
export interface RedisPersistence {
  /** Append-only file on (every master, on a Cluster). */
  aof: boolean;
  /** The AOF fsync policy (`always`, `everysec`, `no`), or null when it cannot be read (CONFIG disabled) or differs between masters. */
  appendfsync: string | null;
  /** Snapshots: a `save` schedule is set (from CONFIG), or a snapshot was taken since start (from INFO, when CONFIG is disabled). */
  rdb: boolean;
  /** What a crash can do to the ledger, in a sentence for a log or a health page; null when nothing. */
  risk: string | null;
}

/** One server's persistence settings. */
export async function readPersistence(node: Redis): Promise<Omit<RedisPersistence, "risk">> {
  try {
    const [, appendonly] = (await node.call("CONFIG", "GET", "appendonly")) as string[];
    const [, appendfsync] = (await node.call("CONFIG", "GET", "appendfsync")) as string[];
    const [, save] = (await node.call("CONFIG", "GET", "save")) as string[];
    if (appendonly === undefined) throw new Error("CONFIG GET answered nothing");
    return { aof: appendonly === "yes", appendfsync: appendfsync ?? null, rdb: (save ?? "").trim() !== "" };
  } catch {
    // CONFIG renamed or disabled (managed services): INFO says whether AOF is on, not how it syncs.
    const info = await node.info("persistence");
    const field = (name: string) => new RegExp(`^${name}:(\\S+)`, "m").exec(info)?.[1];
    return { aof: field("aof_enabled") === "1", appendfsync: null, rdb: Number(field("rdb_saves") ?? 0) > 0 };
  }
}

/** What a crash can do to the ledger, given how the server (every master, on a Cluster) keeps its data; null when nothing. */
export function persistenceRisk(aof: boolean, appendfsync: string | null, rdb: boolean, cluster: boolean): string | null {
  if (aof && appendfsync === "always") return null;
  const kept = aof
    ? `an append-only file synced ${appendfsync === null ? "on an unknown policy" : `"${appendfsync}"`}`
    : rdb
      ? "snapshots only"
      : "no persistence";
  if (cluster) {
    return `Redis runs ${kept}: a crash can roll the ledger back, and on a Cluster the store cannot detect it, so a used or exhausted code could be accepted again. Run every master with appendonly yes and appendfsync always.`;
  }
  return `Redis runs ${kept}: a crash can roll the ledger back. The store detects the restart and refuses every verification opened before it (users ask for a new code), so none is approved twice. For codes to survive a restart, run appendonly yes with appendfsync always.`;
}
