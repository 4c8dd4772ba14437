import type { LedgerState, RecordResult } from "../contracts/ledger.js";
import { OtpError } from "../core/errors.js";

/**
 * What a ledger outcome means to a caller, written once: the check (`record`), a cancel and a
 * resend (`revoke`) read the ledger's answer here, never on their own.
 */

/** Why cancelling a context a resend replaced is refused: the session lives on under the newer one. */
export const REPLACED_MESSAGE = "The context was replaced by a newer one (a resend); cancel with the newest context.";

/**
 * The error a check answers for the ledger's outcome; undefined for an approval. A rejected code
 * tells the attempts left and gives the context back; an entry the ledger forgot (expired or
 * lost) is never an approval.
 */
export function checkRefusal(result: RecordResult, maxAttempts: number, context: string): OtpError | undefined {
  switch (result.outcome) {
    case "approved":
      return undefined;
    case "rejected":
      return new OtpError("INVALID_OTP", { attemptsRemaining: attemptsRemaining(result, maxAttempts), context });
    case "exhausted":
      return new OtpError("MAX_RETRIES_EXCEEDED");
    case "consumed":
      return new OtpError("ALREADY_USED");
    case "revoked":
      return new OtpError("CANCELED");
    case "unknown":
      return new OtpError("SESSION_EXPIRED");
  }
}

/** Checks left after a rejected code. */
export function attemptsRemaining(result: RecordResult, maxAttempts: number): number {
  return Math.max(maxAttempts - result.attempts, 0);
}

/**
 * The error revoking answers for the state the entry was in; undefined when the revoke stands.
 * - `cancel` (revoke): an entry already revoked answers as canceled again (idempotent); one a
 *   resend replaced is refused, since the session goes on under the newer context and answering
 *   "canceled" would tell the caller it ended.
 * - `replace` (a resend): only a pending entry may be replaced.
 */
export function revokeRefusal(previous: LedgerState, intent: "cancel" | "replace"): OtpError | undefined {
  switch (previous) {
    case "pending":
      return undefined;
    case "consumed":
      return new OtpError("ALREADY_USED");
    case "unknown":
      return new OtpError("SESSION_EXPIRED");
    case "replaced":
      return intent === "cancel" ? new OtpError("CANCELED", { message: REPLACED_MESSAGE }) : new OtpError("CANCELED");
    case "revoked":
      return intent === "cancel" ? undefined : new OtpError("CANCELED");
  }
}
