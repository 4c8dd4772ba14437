import type BetterSqlite3 from "better-sqlite3";
import type { Cluster, Redis } from "ioredis";
import type pg from "pg";
import type { LedgerStore } from "../../stores/store.js";
import type { CounterStore } from "./counter-store.js";
import { MemoryCounters } from "./memory.js";
import { PostgresCounters } from "./postgres.js";
import { RedisCounters } from "./redis.js";
import { SqliteCounters } from "./sqlite.js";

/**
 * The guard's counters on the ledger store's own backend: its SQLite connection, Redis client or
 * Postgres pool, so every process that shares the ledger shares the limits with no more set-up.
 * A store of another kind (your own) gets counters in this process; pass `guard.counters` to share them.
 */
export function countersFor(store: LedgerStore): CounterStore {
  const handle = store as unknown as { database?: BetterSqlite3.Database; client?: Redis | Cluster; pool?: pg.Pool };
  switch (store.kind) {
    case "sqlite":
      if (handle.database) return new SqliteCounters({ database: handle.database });
      break;
    case "redis":
      if (handle.client) return new RedisCounters({ client: handle.client });
      break;
    case "postgres":
      if (handle.pool) return new PostgresCounters({ pool: handle.pool });
      break;
  }
  return new MemoryCounters();
}
