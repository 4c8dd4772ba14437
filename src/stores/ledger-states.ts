import type { LedgerState } from "./store.js";

// States as small integers in the SQL stores: the row stays narrow and comparisons stay cheap.
export const PENDING = 0;
export const CONSUMED = 1;
export const REVOKED = 2;
export const STATE_NAMES: Record<number, Exclude<LedgerState, "unknown">> = { [PENDING]: "pending", [CONSUMED]: "consumed", [REVOKED]: "revoked" };

/** Every this many opens, up to PURGE_BATCH expired rows are deleted: bounded work, bounded table. */
export const PURGE_EVERY_OPENS = 64;
export const PURGE_BATCH = 256;
