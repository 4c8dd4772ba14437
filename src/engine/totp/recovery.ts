/** Recovery codes: a new set replaces the old at once; each code is accepted once, across processes. */
import type { RecordResult } from "../../contracts/ledger.js";
import { OtpError } from "../../core/errors.js";
import { sealFactor } from "../../core/factor-blob.js";
import { newRecoveryCodes, normalizeRecoveryCode, recoveryCodeIndex } from "../../core/recovery-codes.js";
import type { EngineContext } from "../context.js";
import { emit } from "../event-bus.js";
import { advanceMark, guardedCheck, openCall, refuse } from "./factor-check.js";
import type { TotpCheckInput, TotpFactorInput, TotpRecoveryCodes, TotpVerified } from "./types.js";

/** Recovery marks outlive any factor: a used code must stay used. */
const KEEP_MS = 100 * 365 * 24 * 3600 * 1000;

/** The newest set's generation the ledger has seen. */
function generationKey(factorId: string): string {
  return `totp:${factorId}:recovery`;
}

/** One code of one set, once used. */
function usedKey(factorId: string, generation: number, index: number): string {
  return `totp:${factorId}:recovery:${generation}:${index}`;
}

/**
 * Ten new codes. Their generation is raised past the newest the ledger has seen (which an older
 * copy of the factor may not know of), so every earlier set is refused from now on.
 */
export async function recoveryCodes(ctx: EngineContext, input: TotpFactorInput): Promise<TotpRecoveryCodes> {
  const call = await openCall(ctx, input);
  const { claims } = call;
  if (!claims.confirmed) throw await refuse(ctx, call, new OtpError("FACTOR_NOT_CONFIRMED"));
  let generation = (claims.recovery?.generation ?? 0) + 1;
  for (;;) {
    const mark = await advanceMark(ctx, call, generationKey(claims.id), generation, KEEP_MS);
    if (mark.advanced) break;
    generation = mark.value + 1;
  }
  const { codes, hashKey, hashes } = newRecoveryCodes();
  const factor = sealFactor(ctx.keyring, { ...claims, recovery: { generation, hashKey, hashes } });
  // The factor's scope only: the codes and their hashes stay out of listeners' reach.
  emit(ctx, "recovery_codes_generated", call.base);
  return { factorId: claims.id, factor, codes };
}

/** Uses a recovery code: the set must be the newest, the code unused; then it is used for good. */
export async function useRecoveryCode(ctx: EngineContext, input: TotpCheckInput): Promise<TotpVerified> {
  const call = await openCall(ctx, input);
  const { claims } = call;
  if (!claims.confirmed) throw await refuse(ctx, call, new OtpError("FACTOR_NOT_CONFIRMED"));
  let normalized: string;
  try {
    normalized = normalizeRecoveryCode(input.code);
  } catch (error) {
    throw await refuse(ctx, call, error as OtpError);
  }
  const recovery = claims.recovery;
  const index = recovery ? recoveryCodeIndex(recovery.hashKey, recovery.hashes, normalized) : -1;
  const record = async (): Promise<RecordResult> => {
    if (!recovery || index < 0) return { outcome: "rejected", attempts: 0 };
    const newest = await advanceMark(ctx, call, generationKey(claims.id), recovery.generation, KEEP_MS);
    if (!newest.advanced && newest.value > recovery.generation) return { outcome: "revoked", attempts: 0 };
    const used = await advanceMark(ctx, call, usedKey(claims.id, recovery.generation, index), 1, KEEP_MS);
    return { outcome: used.advanced ? "approved" : "consumed", attempts: 0 };
  };
  await guardedCheck(ctx, call, index >= 0, record);
  emit(ctx, "recovery_code_used", call.base);
  return call.opened.stale ? { factorId: claims.id, factor: sealFactor(ctx.keyring, claims) } : { factorId: claims.id };
}
