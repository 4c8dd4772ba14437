import type BetterSqlite3 from "better-sqlite3";
import type { Cluster, Redis } from "ioredis";
import type pg from "pg";
import type { RedisStore } from "../../stores/redis.js";
import type { LedgerStore, SynchronousLedger } from "../../contracts/ledger.js";
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
  const handle = store as unknown as {
    database?: BetterSqlite3.Database;
    client?: Redis | Cluster;
    pool?: pg.Pool;
    keyPrefix?: string;
    tableName?: string;
  } & Partial<SynchronousLedger>;
  const synchronous =
    typeof handle.recordNow === "function" && typeof handle.openNow === "function" ? (store as SynchronousLedger & LedgerStore) : undefined;
  // Beside a ledger in a table or key space of its own, the counters take one of their own too.
  const tableName = handle.tableName === undefined || handle.tableName === DEFAULT_LEDGER_TABLE ? undefined : `${handle.tableName}_guard`;
  switch (store.kind) {
    case "memory":
      // The memory store's check then runs in the counters' own synchronous step.
      return new MemoryCounters(synchronous ? { ledger: synchronous } : {});
    case "sqlite":
      if (handle.database)
        return new SqliteCounters({
          database: handle.database,
          ...(tableName && { tableName }),
          ...(synchronous && { ledger: synchronous }),
        });
      break;
    case "redis":
      if (handle.client) {
        const ledger = typeof (store as RedisStore).evalWithEntry === "function" ? (store as RedisStore) : undefined;
        return new RedisCounters({
          client: handle.client,
          ...(handle.keyPrefix !== undefined && { keyPrefix: `${handle.keyPrefix}guard:` }),
          ...(ledger && { ledger }),
        });
      }
      break;
    case "postgres":
      if (handle.pool) return new PostgresCounters({ pool: handle.pool, ...(tableName && { tableName }) });
      break;
  }
  return new MemoryCounters();
}

/** The SQL stores' default table, beside which the counters keep their own default. */
const DEFAULT_LEDGER_TABLE = "otp_ledger";
