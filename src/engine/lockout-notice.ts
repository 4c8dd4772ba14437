import type { OtpMessage } from "../contracts/channel.js";
import { OtpError } from "../core/errors.js";
import { kindOfNormalized } from "../core/identifiers.js";
import type { TokenClaims } from "../core/token.js";
import { deadline, storeDeadline, type EngineContext } from "./context.js";
import { channelFor, deliverWithRetry } from "./delivery.js";
import { emit, type EventScope } from "./event-bus.js";

/** At most one notice per identifier a day, whatever the purpose and however many lockouts. */
export const NOTICE_WINDOW_MS = 86_400_000;

/**
 * Tells an identifier's owner that failed checks locked it out, when its purpose asks for it.
 * Runs after the check has answered (from the next turn of the event loop), so the notice never
 * delays or changes the check's response; close() waits for it. The guard's counters allow one
 * notice per identifier per day across every process; without a guard that can count them, or
 * for a decoy (an account that does not exist), nothing is sent. Every failure here is told as
 * an event, never thrown.
 */
export function scheduleLockoutNotice(ctx: EngineContext, claims: TokenClaims, identifierHash: string, base: EventScope): void {
  const notice = ctx.policyFor(claims.purpose).lockoutNotice;
  const guard = ctx.guard;
  if (notice === undefined || claims.decoy || guard?.claimNotice === undefined) return;
  const task = new Promise<void>((resolve) => setImmediate(resolve))
    .then(async () => {
      const deadlineMs = deadline(ctx);
      const claim = { identifierHash, windowMs: NOTICE_WINDOW_MS, nowMs: ctx.clock.now(), deadlineMs: storeDeadline(ctx, deadlineMs) };
      if (!(await guard.claimNotice!(claim))) return;
      const channel = channelFor(ctx, notice.channel ?? claims.channel, kindOfNormalized(claims.identifier));
      const locale = ctx.policyFor(claims.purpose).locale;
      const message: OtpMessage = {
        // Not the verification's id: receivers that deduplicate by it (webhook idempotency keys,
        // Message-IDs) must not take the notice for a retry of the code's message.
        id: `${claims.id}-lockout`,
        to: claims.identifier,
        code: "",
        purpose: claims.purpose,
        codeExpiresAt: new Date(ctx.clock.now()),
        notice: "lockout",
        ...(locale !== undefined && { locale }),
      };
      await deliverWithRetry(channel, message, ctx.delivery);
      emit(ctx, "lockout_notice", base, { channel: channel.name });
    })
    .catch((error: unknown) => {
      emit(ctx, "lockout_notice", base, { reason: error instanceof OtpError ? error.code : "DELIVERY_FAILED" });
    });
  const tracked = task.finally(() => ctx.inFlight.delete(tracked));
  ctx.inFlight.add(tracked);
}
