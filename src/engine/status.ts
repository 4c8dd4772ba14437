import type { LedgerEntry } from "../contracts/ledger.js";
import { OtpError } from "../core/errors.js";
import { VERIFICATION_ID_PATTERN } from "../core/token.js";
import { deadline, storeCall, storeDeadline, type EngineContext } from "./context.js";
import type { VerificationState, VerificationStatus } from "./types.js";

const VERIFICATION_ID = new RegExp(VERIFICATION_ID_PATTERN);

/**
 * A verification by its id, as the ledger knows it: state, attempts used and when it is forgotten.
 * It reads only; the code, the identifier and the metadata live in the context, never here.
 */
export async function status(ctx: EngineContext, id: unknown): Promise<VerificationStatus> {
  if (typeof id !== "string" || !VERIFICATION_ID.test(id))
    throw new OtpError("INVALID_REQUEST", { message: "The id is not a verification id (22 base64url characters)." });
  const deadlineMs = deadline(ctx);
  const entry = await storeCall(ctx, () => ctx.store.inspect(id, { deadlineMs: storeDeadline(ctx, deadlineMs) }), deadlineMs);
  if (entry.state === "unknown")
    throw new OtpError("NOT_FOUND", { message: "No such verification: never issued, or its session ended and it was forgotten." });
  const max = ctx.sharedMaxAttempts;
  const state = stateOf(entry, max);
  return {
    id,
    status: state,
    attempts: entry.attempts,
    ...(max !== undefined && (state === "pending" || state === "max_attempts") && { attemptsRemaining: Math.max(max - entry.attempts, 0) }),
    sessionExpiresAt: new Date(entry.expiresAtMs),
  };
}

/**
 * The ledger holds attempts but not the maximum (the context carries it), so `max_attempts` is
 * told only when every purpose shares one maximum; otherwise such an entry reads as pending.
 */
function stateOf(entry: Exclude<LedgerEntry, { state: "unknown" }>, max: number | undefined): VerificationState {
  switch (entry.state) {
    case "consumed":
      return "approved";
    case "revoked":
      return "canceled";
    case "replaced":
      return "replaced";
    case "pending":
      return max !== undefined && entry.attempts >= max ? "max_attempts" : "pending";
  }
}
