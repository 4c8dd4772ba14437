/**
 * What every use of a factor shares: opening the blob, the scope of its events, the ledger's marks,
 * and a check that spends the guard's failure budget of the factor (the verification checks'
 * limits, keyed by the factor id under the purpose `totp`).
 */
import type { ClientInfo } from "../../contracts/events.js";
import type { GuardTiming, LockoutNotice } from "../../contracts/guard.js";
import type { AdvanceResult, RecordResult } from "../../contracts/ledger.js";
import { OtpError } from "../../core/errors.js";
import { openFactor, type FactorClaims, type OpenedFactor } from "../../core/factor-blob.js";
import { maskIdentifier } from "../../core/identifiers.js";
import { clientField } from "../../core/util/client-field.js";
import { deadline, guarded, storeCall, storeDeadline, traceIdOf, type EngineContext } from "../context.js";
import { emit, lazyScope, type EventScope } from "../event-bus.js";

/** The purpose TOTP checks are counted under: guard limits for it go in the guard's `purposes.totp`. */
export const TOTP_PURPOSE = "totp";

/** What an operation on a factor works with: its claims, its event scope and its deadline. */
export interface FactorCall {
  opened: OpenedFactor;
  claims: FactorClaims;
  base: EventScope;
  client: ClientInfo | undefined;
  deadlineMs: number;
}

/** The factor's events: its id, the account masked and as a keyed hash (for audit lookups), the caller. */
export function factorScope(
  ctx: EngineContext,
  claims: FactorClaims,
  client: ClientInfo | undefined,
  traceId: string | undefined,
): EventScope {
  return lazyScope(() => ({
    id: claims.id,
    purpose: TOTP_PURPOSE,
    identifier: maskIdentifier(claims.account),
    identifierHash: ctx.keyring.identifierHash(claims.account),
    client,
    traceId,
  }));
}

/** Opens the caller's factor; a bad one is INVALID_FACTOR, told to listeners and counted on the caller's IP. */
export async function openCall(
  ctx: EngineContext,
  input: { factor?: unknown; client?: ClientInfo; traceId?: string } | undefined,
): Promise<FactorCall> {
  if (typeof input !== "object" || input === null) throw new OtpError("MISSING_FIELDS", { message: "The factor is required." });
  const traceId = traceIdOf(input.traceId);
  const deadlineMs = deadline(ctx);
  let opened: OpenedFactor;
  try {
    opened = openFactor(ctx.keyring, input.factor);
  } catch (error) {
    emit(ctx, "factor_failed", () => ({ purpose: TOTP_PURPOSE, ...clientField(input.client), traceId }), { reason: "INVALID_FACTOR" });
    await ctx.guard?.refusedCheck({ purpose: TOTP_PURPOSE, ...clientField(input.client), ...timing(ctx, deadlineMs) });
    throw error;
  }
  const claims = opened.claims;
  return { opened, claims, base: factorScope(ctx, claims, input.client, traceId), client: input.client, deadlineMs };
}

function timing(ctx: EngineContext, deadlineMs: number): GuardTiming {
  return { nowMs: ctx.clock.now(), deadlineMs: storeDeadline(ctx, deadlineMs) };
}

/** A refusal before any comparison: told to listeners, counted on the caller's IP only. */
export async function refuse(ctx: EngineContext, call: FactorCall, error: OtpError): Promise<OtpError> {
  emit(ctx, "factor_failed", call.base, { reason: error.code });
  await ctx.guard?.refusedCheck({ purpose: TOTP_PURPOSE, ...clientField(call.client), ...timing(ctx, call.deadlineMs) });
  return error;
}

/** One ledger mark, bound by the call's deadline; a store without marks cannot hold factors. */
export function advanceMark(ctx: EngineContext, call: FactorCall, key: string, value: number, ttlMs: number): Promise<AdvanceResult> {
  const store = ctx.store;
  if (typeof store.advance !== "function") {
    throw new TypeError(`otp-actions: the ${store.kind} store has no advance primitive, which TOTP factors need`);
  }
  return storeCall(ctx, () => store.advance!(key, value, ttlMs, { deadlineMs: storeDeadline(ctx, call.deadlineMs) }), call.deadlineMs);
}

/**
 * A compared check: the guard reserves its failure points on the factor, `record` decides
 * (approved, rejected, or consumed for a replay or a used code, revoked for a replaced set), and
 * the guard settles. A refusal is told to listeners and thrown; an approval returns.
 */
export async function guardedCheck(
  ctx: EngineContext,
  call: FactorCall,
  matched: boolean,
  record: () => Promise<RecordResult>,
): Promise<void> {
  const guard = ctx.guard;
  let result: RecordResult;
  let lockout: LockoutNotice | undefined;
  if (guard) {
    const attempt = {
      id: call.claims.id,
      // The factor id is random and names no one: it keys the budgets as an identifier's hash would.
      identifierHash: call.claims.id,
      purpose: TOTP_PURPOSE,
      ...clientField(call.client),
      ...timing(ctx, call.deadlineMs),
    };
    ({ result, lockout } = await guarded(
      ctx,
      () => guard.check(attempt, { store: null, id: call.claims.id, match: matched, maxAttempts: Number.MAX_SAFE_INTEGER, record }),
      call.base,
    ));
  } else {
    result = await record();
  }
  if (result.outcome === "approved") return;
  if (lockout) emit(ctx, "locked_out", call.base, { limit: lockout.limit, retryAfterSeconds: lockout.retryAfterSeconds });
  const code = result.outcome === "consumed" ? "ALREADY_USED" : result.outcome === "revoked" ? "CANCELED" : "INVALID_OTP";
  emit(ctx, "factor_failed", call.base, { reason: code });
  throw new OtpError(code);
}
