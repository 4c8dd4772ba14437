/**
 * OTP_STORE → a ledger store. The one place that knows which module builds which store; the
 * drivers load only when their store is chosen.
 *
 *   memory                        one process only; refused in production
 *   sqlite:./data/otp.db          the embedded default: a file, survives restarts
 *   redis://host:6379/0           many instances (rediss:// for TLS)
 *   postgres://user@host/db       many instances, durable (postgresql:// too)
 */
import { resolve } from "node:path";
import { MemoryStore } from "../stores/memory.js";
import type { LedgerStore } from "../contracts/ledger.js";

export const DEFAULT_STORE = "sqlite:./data/otp.db";

export type StoreSpec =
  | { kind: "memory" }
  | { kind: "sqlite"; path: string }
  | { kind: "redis"; url: string }
  | { kind: "postgres"; connectionString: string };

/** Parses an OTP_STORE value; throws an Error whose message says what is wrong (never the URL's password). */
export function parseStoreSpec(value: string): StoreSpec {
  const trimmed = value.trim();
  if (trimmed === "memory") return { kind: "memory" };
  if (trimmed.startsWith("sqlite:")) {
    const path = trimmed.slice("sqlite:".length).replace(/^\/\/(?=\/|\.)/, "");
    if (path === "") throw new Error("sqlite needs a file path, as in sqlite:./data/otp.db");
    return { kind: "sqlite", path };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new Error("must be memory, sqlite:<path>, redis://… or postgres://…");
  }
  if (url.protocol === "redis:" || url.protocol === "rediss:") return { kind: "redis", url: trimmed };
  if (url.protocol === "postgres:" || url.protocol === "postgresql:") return { kind: "postgres", connectionString: trimmed };
  throw new Error(`the scheme '${url.protocol.replace(/:$/, "")}' is not a store; use memory, sqlite:, redis:// or postgres://`);
}

/** A description safe to print: no password. */
export function describeStore(spec: StoreSpec): string {
  switch (spec.kind) {
    case "memory":
      return "memory";
    case "sqlite":
      return `sqlite:${spec.path}`;
    case "redis":
    case "postgres": {
      const url = new URL(spec.kind === "redis" ? spec.url : spec.connectionString);
      if (url.password) url.password = "***";
      // Both drivers also take a password in the query (`?password=`, `sslpassword=`): the
      // parameters are left out whole rather than guessed at one by one.
      const query = url.search === "" ? "" : "?…";
      url.search = "";
      return `${url.toString()}${query}`;
    }
  }
}

export async function storeFromConfig(spec: StoreSpec): Promise<LedgerStore> {
  switch (spec.kind) {
    case "memory":
      return new MemoryStore();
    case "sqlite": {
      const { sqliteStore } = await import("../stores/sqlite.js");
      return sqliteStore({ path: resolve(spec.path) });
    }
    case "redis": {
      const { redisStore } = await import("../stores/redis.js");
      return redisStore({ url: spec.url });
    }
    case "postgres": {
      const { postgresStore } = await import("../stores/postgres.js");
      return postgresStore({ connectionString: spec.connectionString });
    }
  }
}
