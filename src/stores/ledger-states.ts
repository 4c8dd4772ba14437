import type { LedgerState } from "../contracts/ledger.js";

// States as small integers in the SQL stores: the row stays narrow and comparisons stay cheap.
export const PENDING = 0;
export const CONSUMED = 1;
export const REVOKED = 2;
/** Revoked by a resend; existing rows never hold it, so adding it needs no migration. */
export const REPLACED = 3;
/** A row holding an `advance` mark (its value in `attempts`), not a verification: no state name, so inspect answers unknown. */
export const MARK = 4;
export const STATE_NAMES: Record<number, Exclude<LedgerState, "unknown">> = {
  [PENDING]: "pending",
  [CONSUMED]: "consumed",
  [REVOKED]: "revoked",
  [REPLACED]: "replaced",
};

/** The state a revoke writes: why the entry stops being pending. */
export function revokedState(replaced: boolean | undefined): number {
  return replaced === true ? REPLACED : REVOKED;
}

/** A check refuses a replaced entry exactly as a revoked one. */
export function refusesAsRevoked(state: number | null): boolean {
  return state === REVOKED || state === REPLACED;
}

/** Every this many opens, up to PURGE_BATCH expired rows are deleted: bounded work, bounded table. */
export const PURGE_EVERY_OPENS = 64;
export const PURGE_BATCH = 256;
