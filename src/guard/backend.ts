import type BetterSqlite3 from "better-sqlite3";
import type { Redis } from "ioredis";
import type pg from "pg";
import { RedisBatcher } from "./redis-batch.js";
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterSQLite,
  RLWrapperTimeouts,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";

/** Where the guard's counters live: the same server (and client) as the ledger. */
export type Backend =
  | { kind: "memory" }
  | { kind: "redis"; client: Redis }
  | { kind: "postgres"; pool: pg.Pool }
  | { kind: "sqlite"; database: BetterSqlite3.Database };

export interface CounterSpec {
  /** Key prefix of this counter, e.g. "otp:sends_per_ip". */
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/** A counter on a remote backend: the timeout-wrapped limiter, and the in-memory one it falls back to. */
export interface RemoteLimiter {
  limiter: RateLimiterAbstract;
  /** Rate-limiter-flexible's insurance limiter inside `limiter`; undefined when insurance is off. */
  insurance: RateLimiterAbstract | undefined;
}

export interface BackendSettings {
  tableName: string;
  insurance: boolean;
  timeoutMs: number;
}

/**
 * Builds rate-limiter-flexible counters on a remote backend, wrapped so a call slower than
 * `timeoutMs` fails and (with insurance) failures are counted in memory instead.
 */
export class CounterFactory {
  readonly kind: Backend["kind"];
  readonly #backend: Backend;
  readonly #settings: BackendSettings;
  #table: Promise<void> | undefined;
  #tableReady: boolean;
  #sweeperStarted = false;
  /** The check path's gathered calls, on a single Redis (not a Cluster). */
  readonly batcher: RedisBatcher | undefined;

  constructor(backend: Backend, settings: BackendSettings) {
    this.#backend = backend;
    this.#settings = settings;
    this.kind = backend.kind;
    this.#tableReady = backend.kind === "memory" || backend.kind === "redis";
    this.batcher = backend.kind === "redis" && RedisBatcher.supports(backend.client) ? new RedisBatcher(backend.client, settings.timeoutMs) : undefined;
  }

  /**
   * True when the counters can share a ledger's atomic step on `client`: it is this backend's own
   * Redis client (not a Cluster's), or its SQLite connection once the table exists.
   */
  sharesConnection(client: unknown): boolean {
    const backend = this.#backend;
    if (backend.kind === "redis") return this.batcher !== undefined && backend.client === client;
    return backend.kind === "sqlite" && this.#tableReady && backend.database === client;
  }

  get tableName(): string {
    return this.#settings.tableName;
  }

  /**
   * True when calls made one after another reach the backend in that order: one connection
   * (Redis), or none at all (memory, SQLite). A Postgres pool spreads calls over connections, so
   * there order is only kept by waiting.
   */
  get keepsOrder(): boolean {
    return this.kind !== "postgres";
  }

  get insured(): boolean {
    return this.#settings.insurance && this.kind !== "memory";
  }

  /** A counter on a remote backend (memory counters are `MemoryWindows`). */
  create(spec: CounterSpec): RemoteLimiter {
    const base = { keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.durationSeconds };
    const backend = this.#backend;
    if (backend.kind === "memory") throw new Error("otp-actions: memory counters are MemoryWindows");
    let remote: RateLimiterAbstract;
    if (backend.kind === "redis") {
      // A command queued behind a dead connection is cut short by the timeout wrapper below.
      remote = new RateLimiterRedis({ ...base, storeClient: backend.client });
    } else {
      // One counter per table sweeps expired rows (every 5 minutes); the rest only count.
      const sweep = !this.#sweeperStarted;
      this.#sweeperStarted = true;
      const sql = { ...base, tableName: this.#settings.tableName, tableCreated: true, clearExpiredByTimeout: sweep };
      remote =
        backend.kind === "postgres"
          ? new RateLimiterPostgres({ ...sql, storeClient: backend.pool, storeType: "pool" })
          : new RateLimiterSQLite({ ...sql, storeClient: backend.database, storeType: "better-sqlite3" });
    }
    const insurance = this.#settings.insurance ? new RateLimiterMemory(base) : undefined;
    const limiter = new RLWrapperTimeouts({ limiter: remote, timeoutMs: this.#settings.timeoutMs, ...(insurance && { insuranceLimiter: insurance }) });
    return { limiter: limiter as unknown as RateLimiterAbstract, insurance };
  }

  /** True once the SQL table exists (always true for memory and Redis). */
  get ready(): boolean {
    return this.#tableReady;
  }

  /** Creates the SQL table if needed (idempotent, safe across processes); retried after a failure. */
  ensureReady(): Promise<void> {
    if (this.#tableReady) return Promise.resolve();
    // Two processes creating the table at once can collide; the second try finds it made.
    this.#table ??= this.#createTable().catch(() => this.#createTable()).then(
      () => {
        this.#tableReady = true;
      },
      (error: unknown) => {
        this.#table = undefined;
        throw error;
      },
    );
    return this.#table;
  }

  #createTable(): Promise<void> {
    const backend = this.#backend;
    const options = { keyPrefix: "otp:setup", points: 1, duration: 1, tableName: this.#settings.tableName, clearExpiredByTimeout: false };
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => (error ? reject(error) : resolve());
      // rate-limiter-flexible creates its own table (CREATE TABLE IF NOT EXISTS) when told it is missing.
      if (backend.kind === "postgres") new RateLimiterPostgres({ ...options, storeClient: backend.pool, storeType: "pool" }, done);
      else if (backend.kind === "sqlite") new RateLimiterSQLite({ ...options, storeClient: backend.database, storeType: "better-sqlite3" }, done);
      else resolve();
    });
  }
}
