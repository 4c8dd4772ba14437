import type { ClientInfo } from "../contracts/events.js";
import { OtpError } from "../core/errors.js";
import { kindOfNormalized } from "../core/identifiers.js";
import type { OpenedToken, TokenClaims } from "../core/token.js";
import { transactionDigest } from "../core/transaction.js";
import { deadline, guarded, openContext, storeCall, storeDeadline, traceIdOf, type EngineContext } from "./context.js";
import { channelFor, deliver } from "./delivery.js";
import { claimsScope, emit, type EventScope } from "./event-bus.js";
import { issue, issueScope, refuseUnlistedChannel, sendAttempt, withoutCode, type IssueRequest } from "./issue.js";
import type { ResolvedPolicy } from "./options.js";
import { revokeRefusal } from "./outcomes.js";
import { namedTransaction, sameTransaction, type BoundTransaction } from "./transaction-binding.js";
import type { Generated, Issued, Metadata, ResendInput } from "./types.js";

/** Replaces the session's code with a new one and delivers it; the old code stops working. */
export async function resend(ctx: EngineContext, input: ResendInput): Promise<Issued> {
  const opened = openContext(ctx, input?.context);
  const { claims } = opened;
  const transaction = sessionTransaction(ctx, opened, input.transaction);
  const channel = channelFor(ctx, claims.channel, undefined);
  // Checked against the purpose's policy now, before the old code is replaced.
  refuseUnlistedChannel(ctx.policyFor(claims.purpose), claims.purpose, channel.name);
  const { generated, base, policy, metadata } = await reissue(ctx, claims, input.client, traceIdOf(input.traceId), transaction);
  await deliver(ctx, channel, generated, base, policy, claims.decoy, input.locale ?? policy.locale, metadata ?? undefined, transaction);
  return withoutCode(generated);
}

/** Like resend, but returns the new code for the caller to deliver. */
export async function regenerate(ctx: EngineContext, input: ResendInput): Promise<Generated> {
  const opened = openContext(ctx, input?.context);
  const transaction = sessionTransaction(ctx, opened, input.transaction);
  return (await reissue(ctx, opened.claims, input.client, traceIdOf(input.traceId), transaction)).generated;
}

/**
 * The transaction a resend names, which must be the session's own: the token holds only its
 * digest, and the new message must show the details again. Another one, or none for a bound
 * session, is CONTEXT_MISMATCH before anything changes. Its digest is taken again under the
 * sealing key, which a rotation may have changed.
 */
function sessionTransaction(ctx: EngineContext, opened: OpenedToken, given: unknown): BoundTransaction | undefined {
  const named = namedTransaction(given);
  if (!sameTransaction(opened.key, opened.claims, named))
    throw new OtpError("CONTEXT_MISMATCH", { message: "The context was issued for another transaction." });
  return named && { transaction: named, digest: transactionDigest(ctx.keyring.sealing.transactionMacKey, named) };
}

/**
 * A new code for an existing session: the old verification is marked replaced (atomically, so a
 * context can be resent once), the session window is kept, and the attempts already used carry over, so
 * asking for a new code never buys more guesses.
 */
async function reissue(
  ctx: EngineContext,
  claims: TokenClaims,
  client: ClientInfo | undefined,
  traceId: string | undefined,
  transaction: BoundTransaction | undefined,
): Promise<{ generated: Generated; base: EventScope; policy: ResolvedPolicy; metadata: Metadata | null }> {
  const now = ctx.clock.now();
  if (now >= claims.sessionExpiresAtMs) throw new OtpError("SESSION_EXPIRED");
  const policy = ctx.policyFor(claims.purpose);
  const sends = claims.sends + 1;
  const base = claimsScope(ctx.keyring, claims, client, traceId);
  if (sends > policy.maxSendsPerSession) {
    const error = new OtpError("RATE_LIMITED", {
      limit: "sends_per_session",
      retryAfterSeconds: Math.ceil((claims.sessionExpiresAtMs - now) / 1000),
    });
    emit(ctx, "rate_limited", base, { reason: "RATE_LIMITED", limit: error.limit!, retryAfterSeconds: error.retryAfterSeconds! });
    throw error;
  }
  const metadata = claims.metadata === null ? null : (JSON.parse(claims.metadata) as Metadata);
  const request: IssueRequest = {
    identifier: { kind: kindOfNormalized(claims.identifier), value: claims.identifier },
    purpose: claims.purpose,
    channel: claims.channel,
    metadataJson: claims.metadata,
    metadata: metadata ?? undefined,
    policy: sessionPolicy(policy, claims),
    client,
    traceId,
    ...(transaction && { transaction }),
  };
  // The guard decides before the old code is revoked: a refused resend leaves the session usable.
  const issueBase = issueScope(ctx, request);
  const deadlineMs = deadline(ctx);
  const generated = await withSendLimits(ctx, request, sends, issueBase, deadlineMs, async () => {
    // Marked replaced, not revoked: a later cancel of this context must not pass for ending the session.
    const previous = await storeCall(
      ctx,
      () => ctx.store.revoke(claims.id, { replaced: true, deadlineMs: storeDeadline(ctx, deadlineMs) }),
      deadlineMs,
    );
    const refusal = revokeRefusal(previous.previous, "replace");
    if (refusal) throw refusal;
    emit(ctx, "revoked", base, { attempts: previous.attempts });
    return await issue(
      ctx,
      request,
      { sends, decoy: claims.decoy, sessionExpiresAtMs: claims.sessionExpiresAtMs, attempts: previous.attempts },
      issueBase,
      deadlineMs,
      false,
    );
  });
  return { generated, base: issueBase, policy, metadata };
}

/**
 * A resend's limits, taken before anything about the session changes, then `work` (which
 * revokes the old code and issues the new). A send that fails for want of a store gives its
 * points back: a 503 costs no cooldown.
 */
async function withSendLimits<T>(
  ctx: EngineContext,
  request: IssueRequest,
  sends: number,
  base: EventScope,
  deadlineMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const guard = ctx.guard;
  if (!guard) return work();
  const reservation = await guarded(ctx, () => guard.send(sendAttempt(ctx, request, sends, deadlineMs)), base);
  try {
    return await work();
  } catch (error) {
    if (error instanceof OtpError && error.code === "STORE_UNAVAILABLE")
      await guard.sendFailed(reservation, { nowMs: ctx.clock.now(), deadlineMs: storeDeadline(ctx, deadline(ctx)) });
    throw error;
  }
}

/**
 * The code policy a session was opened with, which its resends keep: a per-call code length, TTL
 * or attempt cap must not widen back to the purpose's default. A version-1 token has no TTL: the
 * policy's own applies to it.
 */
function sessionPolicy(policy: ResolvedPolicy, claims: TokenClaims): ResolvedPolicy {
  return {
    ...policy,
    codeLength: claims.codeLength,
    maxAttempts: claims.maxAttempts,
    codeTtlMs: claims.codeTtlSeconds === null ? policy.codeTtlMs : claims.codeTtlSeconds * 1000,
  };
}
