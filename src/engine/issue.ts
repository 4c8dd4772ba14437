import type { ClientInfo } from "../contracts/events.js";
import type { SendAttempt } from "../contracts/guard.js";
import { codeDigest } from "../core/code-digest.js";
import { generateCode } from "../core/codes.js";
import { OtpError } from "../core/errors.js";
import { maskIdentifier, normalizeIdentifier, type NormalizedIdentifier } from "../core/identifiers.js";
import { MAX_METADATA_BYTES, MAX_PURPOSE_CHARS, NAME_PATTERN } from "../core/limits.js";
import { newVerificationId, sealToken, type ClaimsToSeal } from "../core/token.js";
import { clientField } from "../core/util/client-field.js";
import { deadline, guarded, storeCall, storeDeadline, traceIdOf, type EngineContext } from "./context.js";
import { channelFor, deliver, kindOf, mediumOf } from "./delivery.js";
import { emit, lazyScope, withClearIdentifier, type EventScope } from "./event-bus.js";
import { transactionToBind, type BoundTransaction } from "./transaction-binding.js";
import { resolvePolicy, type CodePolicy, type ResolvedPolicy } from "./options.js";
import type { GenerateInput, Generated, Issued, Metadata, StartInput } from "./types.js";

/** Purpose and channel names. */
export const NAME = new RegExp(NAME_PATTERN);

/** A send, checked and resolved: what issuing a code needs. */
export interface IssueRequest {
  identifier: NormalizedIdentifier;
  purpose: string;
  channel: string;
  metadataJson: string | null;
  metadata: Metadata | undefined;
  policy: ResolvedPolicy;
  client: ClientInfo | undefined;
  traceId: string | undefined;
  identifierHash?: string;
  /** The transaction the code is bound to, when one is. */
  transaction?: BoundTransaction;
}

/** The session a code is issued into: a new one, or the one a resend continues. */
export interface IssueSession {
  sends: number;
  decoy: boolean;
  sessionExpiresAtMs?: number;
  attempts?: number;
}

/** Issues a code and its context; the caller delivers the code. */
export async function generate(ctx: EngineContext, input: GenerateInput): Promise<Generated> {
  const request = parseIssue(ctx, input);
  // The caller delivers; for an account the app says does not exist the code never verifies.
  const decoy = ctx.shouldSend
    ? !(await ctx.shouldSend({ identifier: request.identifier.value, purpose: request.purpose, channel: request.channel }))
    : false;
  const base = issueScope(ctx, request);
  return await issue(ctx, request, { sends: 1, decoy }, base, deadline(ctx), true);
}

/** Issues a code and delivers it through a configured channel. */
export async function start(ctx: EngineContext, input: StartInput): Promise<Issued> {
  const request = parseIssue(ctx, input);
  // The channel the caller named, else defaultChannel, else one for the identifier kind.
  const channel = channelFor(ctx, input.channel, request.identifier.kind);
  // Before anything is asked, counted, issued or stored: a refused channel costs nothing.
  refuseUnlistedChannel(request.policy, request.purpose, channel.name);
  const decoy = ctx.shouldSend
    ? !(await ctx.shouldSend({ identifier: request.identifier.value, purpose: request.purpose, channel: channel.name }))
    : false;
  const sending = { ...request, channel: channel.name };
  const base = issueScope(ctx, sending);
  const generated = await issue(ctx, sending, { sends: 1, decoy }, base, deadline(ctx), true);
  await deliver(
    ctx,
    channel,
    generated,
    base,
    request.policy,
    decoy,
    input.locale ?? request.policy.locale,
    request.metadata,
    request.transaction,
  );
  return withoutCode(generated);
}

/** A purpose whose policy lists its channels delivers through those alone (start and resend). */
export function refuseUnlistedChannel(policy: ResolvedPolicy, purpose: string, channel: string): void {
  if (policy.channels !== undefined && !policy.channels.includes(channel))
    throw new OtpError("INVALID_REQUEST", { message: `Purpose '${purpose}' does not deliver through channel '${channel}'.` });
}

function parseIssue(ctx: EngineContext, input: GenerateInput): IssueRequest {
  if (typeof input !== "object" || input === null) throw new OtpError("INVALID_REQUEST", { message: "The request must be an object." });
  const { purpose, channel } = input;
  if (typeof purpose !== "string" || !NAME.test(purpose)) {
    throw new OtpError("INVALID_REQUEST", { message: `purpose must be 1-${MAX_PURPOSE_CHARS} characters of [A-Za-z0-9_.:-].` });
  }
  if (channel !== undefined && (typeof channel !== "string" || !NAME.test(channel))) {
    throw new OtpError("INVALID_REQUEST", { message: "channel must be a channel name." });
  }
  const metadata = serializeMetadata(input.metadata);
  const identifier = normalizeIdentifier(input.identifier, {
    ...(channel !== undefined && { kind: kindOf(ctx, channel) }),
    ...(ctx.defaultCountry && { defaultCountry: ctx.defaultCountry }),
  });
  const policy = resolvePolicy(ctx.policyFor(purpose), pickCodePolicy(input), "generate()");
  const transaction = transactionToBind(ctx.keyring.sealing, policy, purpose, input.transaction);
  return {
    identifier,
    purpose,
    channel: channel ?? (identifier.kind === "email" ? "email" : "sms"),
    metadataJson: metadata,
    metadata: input.metadata,
    policy,
    client: input.client,
    traceId: traceIdOf(input.traceId),
    ...(transaction && { transaction }),
  };
}

/**
 * The shared issuing: a new code, its sealed context and its ledger entry. `firstSend`: the guard
 * takes its send limits and opens the entry (resends took theirs before revoking).
 */
export async function issue(
  ctx: EngineContext,
  request: IssueRequest,
  session: IssueSession,
  base: EventScope,
  deadlineMs: number,
  firstSend: boolean,
): Promise<Generated> {
  const { identifier, purpose, policy } = request;
  const now = ctx.clock.now();
  const sessionExpiresAtMs = session.sessionExpiresAtMs ?? now + policy.sessionTtlMs;
  const codeExpiresAtMs = Math.min(now + policy.codeTtlMs, sessionExpiresAtMs);
  const id = newVerificationId();
  const code = generateCode(policy.codeLength);
  const key = ctx.keyring.sealing;
  const claims: ClaimsToSeal = {
    id,
    codeMac: codeDigest(key.codeMacKey, id, code),
    // Computed only when something will use it; the token then carries it to every check.
    // Carried when a guard or a listener will use it: a check then needs no HMAC of its own for it.
    identifierHash: ctx.guard || ctx.events.wantsAny() ? identifierHash(ctx, request) : null,
    transactionDigest: request.transaction?.digest ?? null,
    codeExpiresAtMs,
    sessionExpiresAtMs,
    // Policy TTLs are whole seconds (resolvePolicy takes seconds).
    codeTtlSeconds: policy.codeTtlMs / 1000,
    maxAttempts: policy.maxAttempts,
    codeLength: policy.codeLength,
    sends: session.sends,
    decoy: session.decoy,
    identifier: identifier.value,
    purpose,
    channel: request.channel,
    metadata: request.metadataJson,
  };
  const context = sealToken(key, claims);
  const ttlMs = sessionExpiresAtMs - now;
  const attempts = session.attempts ?? 0;
  const open = (): Promise<void> =>
    storeCall(ctx, () => ctx.store.open(id, ttlMs, attempts, { deadlineMs: storeDeadline(ctx, deadlineMs) }), deadlineMs);
  const guard = ctx.guard;
  if (firstSend && guard)
    await guarded(ctx, () => guard.send(sendAttempt(ctx, request, 1, deadlineMs), { store: ctx.store, id, ttlMs, attempts, open }), base);
  else await open();
  emit(ctx, "generated", base, {
    id,
    attempts: session.attempts ?? 0,
    maxAttempts: policy.maxAttempts,
    codeExpiresAt: codeExpiresAtMs,
    sessionExpiresAt: sessionExpiresAtMs,
    ...(request.metadata !== undefined && { metadata: request.metadata }),
  });
  return {
    id,
    code,
    context,
    identifier: identifier.value,
    purpose,
    channel: request.channel,
    expiresAt: new Date(codeExpiresAtMs),
    sessionExpiresAt: new Date(sessionExpiresAtMs),
  };
}

export function issueScope(ctx: EngineContext, request: IssueRequest): EventScope {
  return lazyScope(() =>
    withClearIdentifier(
      {
        purpose: request.purpose,
        identifier: maskIdentifier(request.identifier.value),
        identifierHash: identifierHash(ctx, request),
        channel: request.channel,
        ...clientField(request.client),
        traceId: request.traceId,
        ...(request.transaction && { transactionDigest: request.transaction.digest }),
      },
      request.identifier.value,
    ),
  );
}

/** The keyed hash limits and events key on, computed once per request. */
function identifierHash(ctx: EngineContext, request: IssueRequest): string {
  return (request.identifierHash ??= ctx.keyring.identifierHash(request.identifier.value));
}

/** The send, as the guard sees it. */
export function sendAttempt(ctx: EngineContext, request: IssueRequest, sends: number, deadlineMs: number): SendAttempt {
  return {
    identifier: request.identifier,
    identifierHash: identifierHash(ctx, request),
    purpose: request.purpose,
    channel: request.channel,
    medium: mediumOf(ctx, request.channel, request.identifier.kind),
    resend: sends > 1,
    ...clientField(request.client),
    nowMs: ctx.clock.now(),
    deadlineMs: storeDeadline(ctx, deadlineMs),
  };
}

export function withoutCode(generated: Generated): Issued {
  const { code: _code, ...issued } = generated;
  return issued;
}

function pickCodePolicy(input: CodePolicy): CodePolicy | undefined {
  const { codeLength, codeTtlSeconds, sessionTtlSeconds, maxAttempts } = input;
  if (codeLength === undefined && codeTtlSeconds === undefined && sessionTtlSeconds === undefined && maxAttempts === undefined)
    return undefined;
  return {
    ...(codeLength !== undefined && { codeLength }),
    ...(codeTtlSeconds !== undefined && { codeTtlSeconds }),
    ...(sessionTtlSeconds !== undefined && { sessionTtlSeconds }),
    ...(maxAttempts !== undefined && { maxAttempts }),
  };
}

/** Metadata must be a plain JSON object of at most 5 KB once serialised; checked before any crypto. */
function serializeMetadata(metadata: unknown): string | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== "object" || Array.isArray(metadata))
    throw new OtpError("INVALID_REQUEST", { message: "metadata must be a JSON object." });
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch {
    throw new OtpError("INVALID_REQUEST", { message: "metadata must be serialisable as JSON." });
  }
  if (Buffer.byteLength(json, "utf8") > MAX_METADATA_BYTES)
    throw new OtpError("PAYLOAD_TOO_LARGE", { message: "metadata is larger than 5 KB." });
  return json;
}
