import { timingSafeEqual } from "node:crypto";
import { OtpError } from "../core/errors.js";
import type { KeyEntry } from "../core/keyring.js";
import type { TokenClaims } from "../core/token.js";
import { canonicalTransaction, transactionDigest, type Transaction } from "../core/transaction.js";
import type { ResolvedPolicy } from "./options.js";

/** A transaction a send binds its code to: the canonical details (for the message) and their digest (for the token). */
export interface BoundTransaction {
  /** The details in canonical form; they go to the channel, never into the token, an event or the audit log. */
  transaction: Transaction;
  /** The keyed digest under the sealing key. */
  digest: string;
}

/**
 * The transaction a send gives, checked against its purpose's policy: INVALID_REQUEST for a
 * malformed one, or for none where the purpose requires one.
 */
export function transactionToBind(key: KeyEntry, policy: ResolvedPolicy, purpose: string, given: unknown): BoundTransaction | undefined {
  if (given === undefined || given === null) {
    if (policy.transaction === "required")
      throw new OtpError("INVALID_REQUEST", { message: `Purpose '${purpose}' requires a transaction (amount, currency, payee).` });
    return undefined;
  }
  const transaction = canonicalTransaction(given);
  return { transaction, digest: transactionDigest(key.transactionMacKey, transaction) };
}

/** A transaction a check or a resend names, in canonical form; a malformed one is INVALID_REQUEST. */
export function namedTransaction(given: unknown): Transaction | undefined {
  return given === undefined || given === null ? undefined : canonicalTransaction(given);
}

/**
 * Whether a check (or a resend) names the transaction the token was bound to: both none, or the
 * same canonical details under the key that sealed the token. Compared in constant time.
 */
export function sameTransaction(key: KeyEntry, claims: TokenClaims, named: Transaction | undefined): boolean {
  if (claims.transactionDigest === null || named === undefined) return claims.transactionDigest === null && named === undefined;
  const expected = Buffer.from(claims.transactionDigest, "base64url");
  const actual = Buffer.from(transactionDigest(key.transactionMacKey, named), "base64url");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
