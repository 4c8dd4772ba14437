import type { GuardTiming, LockoutNotice } from "../contracts/guard.js";
import type { RecordResult } from "../contracts/ledger.js";
import { codeDigest, digestsMatch } from "../core/code-digest.js";
import { isPlausibleCode } from "../core/codes.js";
import { OtpError } from "../core/errors.js";
import { kindOfNormalized, normalizeIdentifier } from "../core/identifiers.js";
import { MAX_CONTEXT_CHARS } from "../core/limits.js";
import { openToken, type OpenedToken, type TokenClaims } from "../core/token.js";
import { clientField } from "../core/util/client-field.js";
import { deadline, guarded, storeCall, storeDeadline, traceIdOf, type EngineContext } from "./context.js";
import { claimsScope, emit } from "./event-bus.js";
import { scheduleLockoutNotice } from "./lockout-notice.js";
import { attemptsRemaining, checkRefusal } from "./outcomes.js";
import { namedTransaction, sameTransaction } from "./transaction-binding.js";
import type { Metadata, Verified, VerifyInput } from "./types.js";

/** The check: the code against its context, once, counted by the ledger. */
export async function verify(ctx: EngineContext, input: VerifyInput): Promise<Verified> {
  // The check's own time, for the audit log's latency figures: the monotonic clock, never the
  // engine's (a test's fake clock does not move while a check runs).
  const startedAt = performance.now();
  const took = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;
  const { code, context } = input ?? ({} as VerifyInput);
  if (typeof code !== "string" || typeof context !== "string" || code === "" || context === "") throw new OtpError("MISSING_FIELDS");
  const purpose = input.purpose;
  if (purpose === undefined) throw new TypeError("otp-actions: verify needs `purpose` (or null to accept any purpose)");
  if (purpose !== null && typeof purpose !== "string") throw new OtpError("INVALID_REQUEST", { message: "purpose must be a string." });
  if (context.length > MAX_CONTEXT_CHARS) throw new OtpError("PAYLOAD_TOO_LARGE", { message: "The context is too large." });
  if (!isPlausibleCode(code)) throw new OtpError("INVALID_CODE_FORMAT");
  const transaction = namedTransaction(input.transaction);
  const traceId = traceIdOf(input.traceId);
  const deadlineMs = deadline(ctx);
  const timing = (): GuardTiming => ({ nowMs: ctx.clock.now(), deadlineMs: storeDeadline(ctx, deadlineMs) });

  let opened: OpenedToken;
  try {
    opened = openToken(ctx.keyring, context);
  } catch (error) {
    emit(ctx, "failed", () => ({ ...(purpose !== null && { purpose }), ...clientField(input.client), traceId }), {
      reason: "INVALID_CONTEXT",
      durationMs: took(),
    });
    await ctx.guard?.refusedCheck({ ...(purpose !== null && { purpose }), ...clientField(input.client), ...timing() });
    throw error;
  }
  const { claims, key } = opened;
  const base = claimsScope(ctx.keyring, claims, input.client, traceId);
  // Refused before any code is compared: the caller's IP pays, never the identifier.
  const refuse = async (error: OtpError): Promise<OtpError> => {
    emit(ctx, "failed", base, { reason: error.code, durationMs: took() });
    await ctx.guard?.refusedCheck({ purpose: claims.purpose, ...clientField(input.client), ...timing() });
    return error;
  };

  if (purpose !== null && purpose !== claims.purpose) throw await refuse(new OtpError("CONTEXT_MISMATCH"));
  if (input.identifier !== undefined && !sameIdentifier(ctx, input.identifier, claims))
    throw await refuse(new OtpError("CONTEXT_MISMATCH"));
  const now = ctx.clock.now();
  if (now >= claims.sessionExpiresAtMs) throw await refuse(new OtpError("SESSION_EXPIRED"));
  if (now >= claims.codeExpiresAtMs) throw await refuse(new OtpError("OTP_EXPIRED"));
  if (code.length !== claims.codeLength) throw await refuse(new OtpError("INVALID_CODE_FORMAT"));

  // A decoy's digest is computed too: skipping it would make a decoy's check measurably faster.
  const codeMatched = digestsMatch(claims.codeMac, codeDigest(key.codeMacKey, claims.id, code)) && !claims.decoy;
  // Another transaction than the bound one is a failed check, counted like a wrong code: a changed
  // amount or payee must not be tried for free.
  const transactionMatched = sameTransaction(key, claims, transaction);
  const matched = codeMatched && transactionMatched;
  const record = (): Promise<RecordResult> =>
    storeCall(
      ctx,
      () => ctx.store.record(claims.id, matched, claims.maxAttempts, { deadlineMs: storeDeadline(ctx, deadlineMs) }),
      deadlineMs,
    );
  const guard = ctx.guard;
  let result: RecordResult;
  let lockout: LockoutNotice | undefined;
  if (guard) {
    // One call: the guard reserves its failure points before the code counts, has the ledger
    // check it, and settles by the outcome (one atomic step where it shares the ledger's backend).
    const attempt = {
      id: claims.id,
      identifierHash: claims.identifierHash ?? ctx.keyring.identifierHash(claims.identifier),
      purpose: claims.purpose,
      ...clientField(input.client),
      ...timing(),
    };
    ({ result, lockout } = await guarded(
      ctx,
      () => guard.check(attempt, { store: ctx.store, id: claims.id, match: matched, maxAttempts: claims.maxAttempts, record }),
      base,
    ));
  } else {
    result = await record();
  }
  const evaluated = result.outcome === "approved" || result.outcome === "rejected";
  if (evaluated) {
    emit(ctx, "validation_attempt", base, { attempts: result.attempts });
    if (lockout) {
      emit(ctx, "locked_out", base, { limit: lockout.limit, retryAfterSeconds: lockout.retryAfterSeconds });
      scheduleLockoutNotice(ctx, claims, claims.identifierHash ?? ctx.keyring.identifierHash(claims.identifier), base);
    }
  }

  const refusal = checkRefusal(result, claims.maxAttempts, context);
  if (refusal === undefined) {
    emit(ctx, "succeeded", base, { attempts: result.attempts, durationMs: took() });
    return {
      id: claims.id,
      identifier: claims.identifier,
      purpose: claims.purpose,
      channel: claims.channel,
      metadata: claims.metadata === null ? null : (JSON.parse(claims.metadata) as Metadata),
      attempts: result.attempts,
    };
  }
  if (result.outcome === "rejected") {
    const remaining = attemptsRemaining(result, claims.maxAttempts);
    const reason = transactionMatched ? "INVALID_OTP" : "CONTEXT_MISMATCH";
    emit(ctx, "failed", base, { reason, attempts: result.attempts, durationMs: took() });
    if (remaining === 0) emit(ctx, "exhausted", base, { attempts: result.attempts });
    if (!transactionMatched) {
      throw new OtpError("CONTEXT_MISMATCH", { message: TRANSACTION_MISMATCH, attemptsRemaining: remaining, context });
    }
  } else {
    emit(ctx, "failed", base, { reason: refusal.code, durationMs: took() });
  }
  throw refusal;
}

const TRANSACTION_MISMATCH = "The context was issued for another transaction.";

function sameIdentifier(ctx: EngineContext, identifier: string, claims: TokenClaims): boolean {
  try {
    return (
      normalizeIdentifier(identifier, {
        kind: kindOfNormalized(claims.identifier),
        ...(ctx.defaultCountry && { defaultCountry: ctx.defaultCountry }),
      }).value === claims.identifier
    );
  } catch {
    return false;
  }
}
