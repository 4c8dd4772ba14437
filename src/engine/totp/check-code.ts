/** Confirm and verify: an app's code against a factor, accepted once per time step. */
import type { RecordResult } from "../../contracts/ledger.js";
import { OtpError } from "../../core/errors.js";
import { sealFactor } from "../../core/factor-blob.js";
import { matchingStep, timeStep } from "../../core/totp.js";
import type { EngineContext } from "../context.js";
import { emit } from "../event-bus.js";
import { advanceMark, guardedCheck, openCall, refuse, type FactorCall } from "./factor-check.js";
import type { TotpCheckInput, TotpConfirmed, TotpVerified } from "./types.js";

/** The factor's last accepted step. */
export function stepKey(factorId: string): string {
  return `totp:${factorId}`;
}

const DIGITS = /^[0-9]+$/;

/**
 * The code against every step of the window; the ledger's mark then takes the matched step only if
 * it is newer than the last accepted one. The mark lives as long as a step it holds can still be in
 * a window (the window both sides, one step more, and a step's worth of slack): after that, time
 * alone refuses the old codes.
 */
async function acceptCode(ctx: EngineContext, call: FactorCall, code: unknown): Promise<number> {
  const { claims } = call;
  if (typeof code !== "string" || code.length !== claims.digits || !DIGITS.test(code)) {
    throw await refuse(ctx, call, new OtpError("INVALID_CODE_FORMAT", { message: `The code must be ${claims.digits} ASCII digits.` }));
  }
  const nowStep = timeStep(ctx.clock.now(), claims.periodSeconds);
  const step = matchingStep(claims.secret, code, nowStep, claims.windowSteps, claims);
  const ttlMs = (2 * claims.windowSteps + 3) * claims.periodSeconds * 1000;
  const record = async (): Promise<RecordResult> => {
    if (step < 0) return { outcome: "rejected", attempts: 0 };
    const mark = await advanceMark(ctx, call, stepKey(claims.id), step, ttlMs);
    return { outcome: mark.advanced ? "approved" : "consumed", attempts: 0 };
  };
  await guardedCheck(ctx, call, step >= 0, record);
  return step;
}

/** Activates a factor with a first code; the code is used up as any accepted code is. */
export async function confirm(ctx: EngineContext, input: TotpCheckInput): Promise<TotpConfirmed> {
  const call = await openCall(ctx, input);
  await acceptCode(ctx, call, input.code);
  const factor = sealFactor(ctx.keyring, { ...call.claims, confirmed: true });
  emit(ctx, "factor_confirmed", call.base);
  return { factorId: call.claims.id, factor };
}

/** Checks a code of an active factor; sealed again when an older key sealed it. */
export async function verify(ctx: EngineContext, input: TotpCheckInput): Promise<TotpVerified> {
  const call = await openCall(ctx, input);
  if (!call.claims.confirmed) throw await refuse(ctx, call, new OtpError("FACTOR_NOT_CONFIRMED"));
  await acceptCode(ctx, call, input.code);
  emit(ctx, "factor_verified", call.base);
  return call.opened.stale ? { factorId: call.claims.id, factor: sealFactor(ctx.keyring, call.claims) } : { factorId: call.claims.id };
}
