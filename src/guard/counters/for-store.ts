import type BetterSqlite3 from "better-sqlite3";
import type { Cluster, Redis } from "ioredis";
import type pg from "pg";
import type { RedisStore } from "../../stores/redis.js";
import type { LedgerStore, SynchronousLedger } from "../../stores/store.js";
import type { CounterStore } from "./counter-store.js";
import { MemoryCounters } from "./memory.js";
import { PostgresCounters } from "./postgres.js";
import { RedisCounters } from "./redis.js";
import { SqliteCounters } from "./sqlite.js";

/**
 * The guard's counters on the ledger store's own backend: its SQLite connection, Redis client or
 * Postgres pool, so every process that shares the ledger shares the limits with no more set-up;
 * on memory, SQLite and a single Redis, the ledger's own check and open run inside the counters'
 * step, so a guarded check or first send stays one round trip or one transaction.
 * A store of another kind (your own) gets counters in this process; pass `guard.counters` to share them.
 */
export function countersFor(store: LedgerStore): CounterStore {
  const handle = store as unknown as { database?: BetterSqlite3.Database; client?: Redis | Cluster; pool?: pg.Pool } & Partial<SynchronousLedger>;
  const synchronous = typeof handle.recordNow === "function" && typeof handle.openNow === "function" ? (store as SynchronousLedger & LedgerStore) : undefined;
  switch (store.kind) {
    case "memory":
      // The memory store's check then runs in the counters' own synchronous step.
      return new MemoryCounters(synchronous ? { ledger: synchronous } : {});
    case "sqlite":
      if (handle.database) return new SqliteCounters({ database: handle.database, ...(synchronous && { ledger: synchronous }) });
      break;
    case "redis":
      if (handle.client) return new RedisCounters({ client: handle.client, ...(typeof (store as RedisStore).evalWithEntry === "function" && { ledger: store as RedisStore }) });
      break;
    case "postgres":
      if (handle.pool) return new PostgresCounters({ pool: handle.pool });
      break;
  }
  return new MemoryCounters();
}
