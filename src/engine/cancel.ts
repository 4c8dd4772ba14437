import { OtpError } from "../core/errors.js";
import { VERIFICATION_ID_PATTERN } from "../core/token.js";
import { actorOf } from "./actor.js";
import { deadline, storeCall, storeDeadline, traceIdOf, type EngineContext } from "./context.js";
import { emit, lazyScope } from "./event-bus.js";
import { revokeRefusal } from "./outcomes.js";
import type { CancelOptions } from "./types.js";

const VERIFICATION_ID = new RegExp(VERIFICATION_ID_PATTERN);

/**
 * Cancels a pending verification by its id, for an operator who holds no context: the ledger
 * entry is revoked as `revoke` does, and the `revoked` event names the actor. The context is not
 * at hand, so the event carries the id but neither the identifier nor the purpose.
 */
export async function cancel(ctx: EngineContext, id: unknown, options: CancelOptions = {}): Promise<{ id: string; status: "canceled" }> {
  if (typeof id !== "string" || !VERIFICATION_ID.test(id))
    throw new OtpError("INVALID_REQUEST", { message: "The id is not a verification id (22 base64url characters)." });
  const traceId = traceIdOf(options?.traceId);
  const actor = actorOf(options?.actor);
  const deadlineMs = deadline(ctx);
  const result = await storeCall(ctx, () => ctx.store.revoke(id, { deadlineMs: storeDeadline(ctx, deadlineMs) }), deadlineMs);
  if (result.previous === "unknown")
    throw new OtpError("NOT_FOUND", { message: "No such verification: never issued, or its session ended and it was forgotten." });
  const refusal = revokeRefusal(result.previous, "cancel");
  if (refusal) throw refusal;
  if (result.previous === "pending")
    emit(
      ctx,
      "revoked",
      lazyScope(() => ({ id, traceId, actor })),
      { attempts: result.attempts },
    );
  return { id, status: "canceled" };
}
