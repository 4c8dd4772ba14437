import { OtpError } from "../core/errors.js";
import { deadline, openContext, storeCall, storeDeadline, traceIdOf, type EngineContext } from "./context.js";
import { claimsScope, emit } from "./event-bus.js";
import { revokeRefusal } from "./outcomes.js";
import type { RevokeOptions } from "./types.js";

/** Cancels the session's pending verification; cancelling it again answers the same. */
export async function revoke(
  ctx: EngineContext,
  context: unknown,
  options: RevokeOptions = {},
): Promise<{ id: string; status: "canceled" }> {
  const traceId = traceIdOf(options?.traceId);
  const { claims } = openContext(ctx, context);
  if (ctx.clock.now() >= claims.sessionExpiresAtMs) throw new OtpError("SESSION_EXPIRED");
  const deadlineMs = deadline(ctx);
  const result = await storeCall(ctx, () => ctx.store.revoke(claims.id, { deadlineMs: storeDeadline(ctx, deadlineMs) }), deadlineMs);
  const refusal = revokeRefusal(result.previous, "cancel");
  if (refusal) throw refusal;
  if (result.previous === "pending")
    emit(ctx, "revoked", claimsScope(ctx.keyring, claims, undefined, traceId), { attempts: result.attempts });
  return { id: claims.id, status: "canceled" };
}
