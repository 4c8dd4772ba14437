import { isSupportedCountry } from "libphonenumber-js";
import type { Channel } from "./contracts/channel.js";
import { codeDigest, digestsMatch } from "./core/code-digest.js";
import { generateCode, isPlausibleCode } from "./core/codes.js";
import { OtpError } from "./core/errors.js";
import { kindOfNormalized, maskIdentifier, normalizeIdentifier, type IdentifierKind, type NormalizedIdentifier } from "./core/identifiers.js";
import { Keyring, parseKeys } from "./core/keyring.js";
import { MAX_CONTEXT_CHARS, MAX_METADATA_BYTES, MAX_PURPOSE_CHARS, MAX_TRACE_ID_CHARS, NAME_PATTERN, TRACE_ID_PATTERN } from "./core/limits.js";
import { newVerificationId, openToken, sealToken, type ClaimsToSeal, type OpenedToken, type TokenClaims } from "./core/token.js";
import { deliverWithRetry } from "./delivery.js";
import type { DeliveryMedium, Guard, GuardTiming, LockoutNotice, SendAttempt } from "./contracts/guard.js";
import { createGuard } from "./guard/index.js";
import { countersFor } from "./guard/counters/for-store.js";
import {
  DEFAULT_POLICY,
  resolveDelivery,
  resolvePolicy,
  refuseUnknownOptions,
  type Clock,
  type CodePolicy,
  type OtpOptions,
  type ResolvedDelivery,
  type ResolvedPolicy,
} from "./options.js";
import type { GuardOptions } from "./guard/options.js";
import { integerIn } from "./core/util/option-checks.js";
import { MemoryStore } from "./stores/memory.js";
import type { LedgerStore, RecordResult } from "./contracts/ledger.js";
import { DEFAULT_CLOCK_SKEW_MS, withTimeout } from "./core/util/with-timeout.js";
import type { ClientInfo, OtpEvent, OtpEventListener, OtpEventType } from "./contracts/events.js";
import { OtpEvents } from "./engine/event-bus.js";

export type Metadata = Record<string, unknown>;

export interface GenerateInput extends CodePolicy {
  identifier: string;
  purpose: string;
  /** Channel name; decides the identifier kind ("email" → email, "sms" → phone). */
  channel?: string;
  metadata?: Metadata;
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

export interface StartInput extends GenerateInput {
  locale?: string;
}

export interface Issued {
  id: string;
  context: string;
  identifier: string;
  purpose: string;
  channel: string;
  expiresAt: Date;
  sessionExpiresAt: Date;
}

export interface Generated extends Issued {
  code: string;
}

export interface VerifyInput {
  code: unknown;
  context: unknown;
  /** The purpose this check is for. `null` accepts any purpose: use only where the caller binds it otherwise. */
  purpose: string | null;
  /** When given, the token must have been issued to this identifier (after normalisation). */
  identifier?: string;
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

export interface Verified {
  id: string;
  identifier: string;
  purpose: string;
  channel: string;
  metadata: Metadata | null;
  /** Checks used, the successful one included. */
  attempts: number;
}

export interface ResendInput {
  context: unknown;
  locale?: string;
  client?: ClientInfo;
  /** Ties this operation's events and audit rows to your trace or request id (visible ASCII, at most 128 characters). */
  traceId?: string;
}

export interface RevokeOptions {
  /** Ties the revoked event and its audit row to your trace or request id. */
  traceId?: string;
}

export interface Otp {
  /** Issues a code and its context; the caller delivers the code. */
  generate(input: GenerateInput): Promise<Generated>;
  /** Issues a code and delivers it through a configured channel. The code is not returned. */
  start(input: StartInput): Promise<Issued>;
  /** Replaces the session's code with a new one and delivers it; the old code stops working. */
  resend(input: ResendInput): Promise<Issued>;
  /** Like resend, but returns the new code for the caller to deliver. */
  regenerate(input: ResendInput): Promise<Generated>;
  verify(input: VerifyInput): Promise<Verified>;
  /**
   * Cancels the session's pending verification; cancelling it again answers the same. A context a
   * resend replaced is refused with CANCELED: the session goes on, so cancel with the newest context.
   */
  revoke(context: unknown, options?: RevokeOptions): Promise<{ id: string; status: "canceled" }>;
  on(type: OtpEventType | "*", listener: OtpEventListener): () => void;
  readonly keyring: Keyring;
  readonly store: LedgerStore;
  readonly channels: ReadonlyMap<string, Channel>;
  /** Waits for deliveries still in flight, asynchronous or not. Does not close the store. */
  close(): Promise<void>;
}

const PURPOSE = new RegExp(NAME_PATTERN);

const TRACE_ID = new RegExp(TRACE_ID_PATTERN);
/** Why cancelling a context a resend replaced is refused: the session lives on under the newer one. */
const REPLACED_MESSAGE = "The context was replaced by a newer one (a resend); cancel with the newest context.";

export function createOtp(options: OtpOptions): Otp {
  return new OtpEngine(options);
}

class OtpEngine implements Otp {
  readonly keyring: Keyring;
  readonly store: LedgerStore;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly #events: OtpEvents;
  readonly #clock: Clock;
  readonly #policy: ResolvedPolicy;
  readonly #purposes: Map<string, ResolvedPolicy>;
  readonly #delivery: ResolvedDelivery;
  readonly #storeTimeoutMs: number;
  readonly #defaultCountry: OtpOptions["defaultCountry"];
  readonly #defaultChannel: string | undefined;
  readonly #guard: Guard | undefined;
  readonly #shouldSend: OtpOptions["shouldSend"];
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: OtpOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: createOtp needs an options object");
    if (options.keys === undefined) throw new TypeError("otp-actions: `keys` is required (OTP_KEYS); make one with generateKey()");
    refuseUnknownOptions(options);
    this.keyring = options.keys instanceof Keyring ? options.keys : parseKeys(options.keys);
    this.#clock = options.clock ?? { now: Date.now };
    this.store = options.store ?? new MemoryStore({ now: () => this.#clock.now() });
    this.#guard = guardFor(options.guard, this.store);
    warnIfUnprotected(this.store, this.#guard);
    this.#policy = resolvePolicy(DEFAULT_POLICY, options, "options");
    this.#purposes = new Map(
      Object.entries(options.purposes ?? {}).map(([purpose, overrides]) => {
        if (!PURPOSE.test(purpose)) throw new TypeError(`otp-actions: purpose '${purpose}' is not a valid purpose name`);
        return [purpose, resolvePolicy(this.#policy, overrides, `purposes.${purpose}`)];
      }),
    );
    this.#delivery = resolveDelivery(options.delivery);
    this.#storeTimeoutMs = integerIn("storeTimeoutMs", options.storeTimeoutMs ?? 1000, 1, 60_000);
    this.channels = new Map((options.channels ?? []).map((channel) => [channel.name, channel]));
    if (options.defaultChannel !== undefined && !this.channels.has(options.defaultChannel)) {
      throw new TypeError(`otp-actions: defaultChannel '${options.defaultChannel}' is not among the channels`);
    }
    this.#defaultChannel = options.defaultChannel;
    if (options.defaultCountry !== undefined && (typeof options.defaultCountry !== "string" || !isSupportedCountry(options.defaultCountry))) {
      throw new TypeError("otp-actions: defaultCountry must be an ISO 3166 alpha-2 code in capitals, such as \"US\"");
    }
    this.#defaultCountry = options.defaultCountry;
    this.#shouldSend = options.shouldSend;
    this.#events = new OtpEvents(options.onListenerError);
  }

  on(type: OtpEventType | "*", listener: OtpEventListener): () => void {
    return this.#events.on(type, listener);
  }

  async generate(input: GenerateInput): Promise<Generated> {
    const request = this.#parseIssue(input);
    // The caller delivers; for an account the app says does not exist the code never verifies.
    const decoy = this.#shouldSend ? !(await this.#shouldSend({ identifier: request.identifier.value, purpose: request.purpose, channel: request.channel })) : false;
    const base = this.#issueScope(request);
    return await this.#issue(request, { sends: 1, decoy }, base, this.#deadline(), true);
  }

  async start(input: StartInput): Promise<Issued> {
    const request = this.#parseIssue(input);
    // The channel the caller named, else defaultChannel, else one for the identifier kind.
    const channel = this.#channelFor(input.channel, request.identifier.kind);
    const decoy = this.#shouldSend ? !(await this.#shouldSend({ identifier: request.identifier.value, purpose: request.purpose, channel: channel.name })) : false;
    const sending = { ...request, channel: channel.name };
    const base = this.#issueScope(sending);
    const generated = await this.#issue(sending, { sends: 1, decoy }, base, this.#deadline(), true);
    await this.#deliver(channel, generated, base, request.policy, decoy, input.locale, request.metadata);
    return withoutCode(generated);
  }

  async resend(input: ResendInput): Promise<Issued> {
    const { claims } = this.#open(input?.context);
    const channel = this.#channelFor(claims.channel, undefined);
    const { generated, base, policy, metadata } = await this.#reissue(claims, input.client, traceIdOf(input.traceId));
    await this.#deliver(channel, generated, base, policy, claims.decoy, input.locale, metadata ?? undefined);
    return withoutCode(generated);
  }

  async regenerate(input: ResendInput): Promise<Generated> {
    const { claims } = this.#open(input?.context);
    return (await this.#reissue(claims, input.client, traceIdOf(input.traceId))).generated;
  }

  async verify(input: VerifyInput): Promise<Verified> {
    const { code, context } = input ?? ({} as VerifyInput);
    if (typeof code !== "string" || typeof context !== "string" || code === "" || context === "") throw new OtpError("MISSING_FIELDS");
    const purpose = input.purpose;
    if (purpose === undefined) throw new TypeError("otp-actions: verify needs `purpose` (or null to accept any purpose)");
    if (purpose !== null && typeof purpose !== "string") throw new OtpError("INVALID_REQUEST", { message: "purpose must be a string." });
    if (context.length > MAX_CONTEXT_CHARS) throw new OtpError("PAYLOAD_TOO_LARGE", { message: "The context is too large." });
    if (!isPlausibleCode(code)) throw new OtpError("INVALID_CODE_FORMAT");
    const traceId = traceIdOf(input.traceId);
    const deadlineMs = this.#deadline();
    const timing = (): GuardTiming => ({ nowMs: this.#clock.now(), deadlineMs: this.#storeDeadline(deadlineMs) });

    let opened: OpenedToken;
    try {
      opened = openToken(this.keyring, context);
    } catch (error) {
      this.#emit("failed", () => ({ ...(purpose !== null && { purpose }), ...clientField(input.client), traceId }), { reason: "INVALID_CONTEXT" });
      await this.#guard?.refusedCheck({ ...(purpose !== null && { purpose }), ...clientField(input.client), ...timing() });
      throw error;
    }
    const { claims, key } = opened;
    const base = this.#claimsScope(claims, input.client, traceId);
    // Refused before any code is compared: the caller's IP pays, never the identifier.
    const refuse = async (error: OtpError): Promise<OtpError> => {
      this.#emit("failed", base, { reason: error.code });
      await this.#guard?.refusedCheck({ purpose: claims.purpose, ...clientField(input.client), ...timing() });
      return error;
    };

    if (purpose !== null && purpose !== claims.purpose) throw await refuse(new OtpError("CONTEXT_MISMATCH"));
    if (input.identifier !== undefined && !this.#sameIdentifier(input.identifier, claims)) throw await refuse(new OtpError("CONTEXT_MISMATCH"));
    const now = this.#clock.now();
    if (now >= claims.sessionExpiresAtMs) throw await refuse(new OtpError("SESSION_EXPIRED"));
    if (now >= claims.codeExpiresAtMs) throw await refuse(new OtpError("OTP_EXPIRED"));
    if (code.length !== claims.codeLength) throw await refuse(new OtpError("INVALID_CODE_FORMAT"));

    // A decoy's digest is computed too: skipping it would make a decoy's check measurably faster.
    const matched = digestsMatch(claims.codeMac, codeDigest(key.codeMacKey, claims.id, code)) && !claims.decoy;
    const record = (): Promise<RecordResult> =>
      this.#storeCall(() => this.store.record(claims.id, matched, claims.maxAttempts, { deadlineMs: this.#storeDeadline(deadlineMs) }), deadlineMs);
    const guard = this.#guard;
    let result: RecordResult;
    let lockout: LockoutNotice | undefined;
    if (guard) {
      // One call: the guard reserves its failure points before the code counts, has the ledger
      // check it, and settles by the outcome (one atomic step where it shares the ledger's backend).
      const attempt = { id: claims.id, identifierHash: claims.identifierHash ?? this.keyring.identifierHash(claims.identifier), purpose: claims.purpose, ...clientField(input.client), ...timing() };
      ({ result, lockout } = await this.#guarded(() => guard.check(attempt, { store: this.store, id: claims.id, match: matched, maxAttempts: claims.maxAttempts, record }), base));
    } else {
      result = await record();
    }
    const evaluated = result.outcome === "approved" || result.outcome === "rejected";
    if (evaluated) {
      this.#emit("validation_attempt", base, { attempts: result.attempts });
      if (lockout) this.#emit("locked_out", base, { limit: lockout.limit, retryAfterSeconds: lockout.retryAfterSeconds });
    }
    const fail = (error: OtpError): OtpError => {
      this.#emit("failed", base, { reason: error.code });
      return error;
    };

    switch (result.outcome) {
      case "approved":
        this.#emit("succeeded", base, { attempts: result.attempts });
        return {
          id: claims.id,
          identifier: claims.identifier,
          purpose: claims.purpose,
          channel: claims.channel,
          metadata: claims.metadata === null ? null : (JSON.parse(claims.metadata) as Metadata),
          attempts: result.attempts,
        };
      case "rejected": {
        const attemptsRemaining = Math.max(claims.maxAttempts - result.attempts, 0);
        this.#emit("failed", base, { reason: "INVALID_OTP", attempts: result.attempts });
        if (attemptsRemaining === 0) this.#emit("exhausted", base, { attempts: result.attempts });
        throw new OtpError("INVALID_OTP", { attemptsRemaining, context });
      }
      case "exhausted":
        throw fail(new OtpError("MAX_RETRIES_EXCEEDED"));
      case "consumed":
        throw fail(new OtpError("ALREADY_USED"));
      case "revoked":
        throw fail(new OtpError("CANCELED"));
      case "unknown":
        // The ledger forgot it (expired or lost): never an approval.
        throw fail(new OtpError("SESSION_EXPIRED"));
    }
  }

  async revoke(context: unknown, options: RevokeOptions = {}): Promise<{ id: string; status: "canceled" }> {
    const traceId = traceIdOf(options?.traceId);
    const { claims } = this.#open(context);
    if (this.#clock.now() >= claims.sessionExpiresAtMs) throw new OtpError("SESSION_EXPIRED");
    const deadlineMs = this.#deadline();
    const result = await this.#storeCall(() => this.store.revoke(claims.id, { deadlineMs: this.#storeDeadline(deadlineMs) }), deadlineMs);
    if (result.previous === "consumed") throw new OtpError("ALREADY_USED");
    if (result.previous === "unknown") throw new OtpError("SESSION_EXPIRED");
    // A resend replaced this context and the session goes on under the newer one: answering
    // "canceled" would tell the caller it ended. (An already revoked one answers so again: idempotent.)
    if (result.previous === "replaced") throw new OtpError("CANCELED", { message: REPLACED_MESSAGE });
    if (result.previous === "pending") this.#emit("revoked", this.#claimsScope(claims, undefined, traceId), { attempts: result.attempts });
    return { id: claims.id, status: "canceled" };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  // --- issuing -------------------------------------------------------------------------------

  #parseIssue(input: GenerateInput): IssueRequest {
    if (typeof input !== "object" || input === null) throw new OtpError("INVALID_REQUEST", { message: "The request must be an object." });
    const { purpose, channel } = input;
    if (typeof purpose !== "string" || !PURPOSE.test(purpose)) {
      throw new OtpError("INVALID_REQUEST", { message: `purpose must be 1-${MAX_PURPOSE_CHARS} characters of [A-Za-z0-9_.:-].` });
    }
    if (channel !== undefined && (typeof channel !== "string" || !PURPOSE.test(channel))) {
      throw new OtpError("INVALID_REQUEST", { message: "channel must be a channel name." });
    }
    const metadata = serializeMetadata(input.metadata);
    const identifier = normalizeIdentifier(input.identifier, {
      ...(channel !== undefined && { kind: this.#kindOf(channel) }),
      ...(this.#defaultCountry && { defaultCountry: this.#defaultCountry }),
    });
    const policy = resolvePolicy(this.#purposes.get(purpose) ?? this.#policy, pickCodePolicy(input), "generate()");
    return {
      identifier,
      purpose,
      channel: channel ?? (identifier.kind === "email" ? "email" : "sms"),
      metadataJson: metadata,
      metadata: input.metadata,
      policy,
      client: input.client,
      traceId: traceIdOf(input.traceId),
    };
  }

  async #issue(
    request: IssueRequest,
    session: { sends: number; decoy: boolean; sessionExpiresAtMs?: number; attempts?: number },
    base: EventScope,
    deadlineMs: number,
    /** A first send: the guard takes its send limits and opens the entry (resends took theirs before revoking). */
    firstSend: boolean,
  ): Promise<Generated> {
    const { identifier, purpose, policy } = request;
    const now = this.#clock.now();
    const sessionExpiresAtMs = session.sessionExpiresAtMs ?? now + policy.sessionTtlMs;
    const codeExpiresAtMs = Math.min(now + policy.codeTtlMs, sessionExpiresAtMs);
    const id = newVerificationId();
    const code = generateCode(policy.codeLength);
    const key = this.keyring.sealing;
    const claims: ClaimsToSeal = {
      id,
      codeMac: codeDigest(key.codeMacKey, id, code),
      // Computed only when something will use it; the token then carries it to every check.
      // Carried when a guard or a listener will use it: a check then needs no HMAC of its own for it.
      identifierHash: this.#guard || this.#events.wantsAny() ? this.#identifierHash(request) : null,
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
    const open = (): Promise<void> => this.#storeCall(() => this.store.open(id, ttlMs, attempts, { deadlineMs: this.#storeDeadline(deadlineMs) }), deadlineMs);
    const guard = this.#guard;
    if (firstSend && guard) await this.#guarded(() => guard.send(this.#sendAttempt(request, 1, base, deadlineMs), { store: this.store, id, ttlMs, attempts, open }), base);
    else await open();
    this.#emit("generated", base, {
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

  #issueScope(request: IssueRequest): EventScope {
    return this.#scope(() => ({
      purpose: request.purpose,
      identifier: maskIdentifier(request.identifier.value),
      identifierHash: this.#identifierHash(request),
      channel: request.channel,
      ...clientField(request.client),
      traceId: request.traceId,
    }));
  }

  /**
   * A resend's limits, taken before anything about the session changes, then `work` (which
   * revokes the old code and issues the new). A send that fails for want of a store gives its
   * points back: a 503 costs no cooldown.
   */
  async #withSendLimits<T>(request: IssueRequest, sends: number, base: EventScope, deadlineMs: number, work: () => Promise<T>): Promise<T> {
    const guard = this.#guard;
    if (!guard) return work();
    const reservation = await this.#guarded(() => guard.send(this.#sendAttempt(request, sends, base, deadlineMs)), base);
    try {
      return await work();
    } catch (error) {
      if (error instanceof OtpError && error.code === "STORE_UNAVAILABLE") await guard.sendFailed(reservation, { nowMs: this.#clock.now(), deadlineMs: this.#storeDeadline(this.#deadline()) });
      throw error;
    }
  }

  /** The keyed hash limits and events key on, computed once per request. */
  #identifierHash(request: IssueRequest): string {
    return (request.identifierHash ??= this.keyring.identifierHash(request.identifier.value));
  }

  #sendAttempt(request: IssueRequest, sends: number, base: EventScope, deadlineMs: number): SendAttempt {
    return {
      identifier: request.identifier,
      identifierHash: this.#identifierHash(request),
      purpose: request.purpose,
      channel: request.channel,
      medium: this.#mediumOf(request.channel, request.identifier.kind),
      resend: sends > 1,
      ...clientField(request.client),
      nowMs: this.#clock.now(),
      deadlineMs: this.#storeDeadline(deadlineMs),
    };
  }

  /**
   * A new code for an existing session: the old verification is marked replaced (atomically, so a
   * context can be resent once), the session window is kept, and the attempts already used carry over, so
   * asking for a new code never buys more guesses.
   */
  async #reissue(claims: TokenClaims, client: ClientInfo | undefined, traceId: string | undefined): Promise<{ generated: Generated; base: EventScope; policy: ResolvedPolicy; metadata: Metadata | null }> {
    const now = this.#clock.now();
    if (now >= claims.sessionExpiresAtMs) throw new OtpError("SESSION_EXPIRED");
    const policy = this.#purposes.get(claims.purpose) ?? this.#policy;
    const sends = claims.sends + 1;
    const base = this.#claimsScope(claims, client, traceId);
    if (sends > policy.maxSendsPerSession) {
      const error = new OtpError("RATE_LIMITED", { limit: "sends_per_session", retryAfterSeconds: Math.ceil((claims.sessionExpiresAtMs - now) / 1000) });
      this.#emit("rate_limited", base, { reason: "RATE_LIMITED", limit: error.limit!, retryAfterSeconds: error.retryAfterSeconds! });
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
    };
    // The guard decides before the old code is revoked: a refused resend leaves the session usable.
    const issueBase = this.#issueScope(request);
    const deadlineMs = this.#deadline();
    const generated = await this.#withSendLimits(request, sends, issueBase, deadlineMs, async () => {
      // Marked replaced, not revoked: a later cancel of this context must not pass for ending the session.
      const previous = await this.#storeCall(() => this.store.revoke(claims.id, { replaced: true, deadlineMs: this.#storeDeadline(deadlineMs) }), deadlineMs);
      if (previous.previous === "consumed") throw new OtpError("ALREADY_USED");
      if (previous.previous === "revoked" || previous.previous === "replaced") throw new OtpError("CANCELED");
      if (previous.previous === "unknown") throw new OtpError("SESSION_EXPIRED");
      this.#emit("revoked", base, { attempts: previous.attempts });
      return await this.#issue(request, { sends, decoy: claims.decoy, sessionExpiresAtMs: claims.sessionExpiresAtMs, attempts: previous.attempts }, issueBase, deadlineMs, false);
    });
    return { generated, base: issueBase, policy, metadata };
  }

  // --- delivery ------------------------------------------------------------------------------

  /**
   * The channel named, else the default channel, else the one named after the identifier's kind,
   * provided it delivers to that kind; else any channel that does. An address is never handed to
   * a channel of the other kind (an email address to an SMS provider).
   */
  #channelFor(name: string | undefined, kind: IdentifierKind | undefined): Channel {
    if (name !== undefined) {
      const named = this.channels.get(name);
      if (!named) throw new OtpError("INVALID_REQUEST", { message: `No channel named '${name}' is configured.` });
      return named;
    }
    const preferred = this.channels.get(this.#defaultChannel ?? (kind === "email" ? "email" : "sms"));
    const channel = preferred && deliversTo(preferred, kind) ? preferred : this.#anyChannelFor(kind);
    if (!channel) throw new OtpError("INVALID_REQUEST", { message: `No configured channel delivers to ${kind === "email" ? "an email address" : "a phone number"}.` });
    return channel;
  }

  #anyChannelFor(kind: IdentifierKind | undefined): Channel | undefined {
    for (const channel of this.channels.values()) if (deliversTo(channel, kind)) return channel;
    return undefined;
  }

  #kindOf(channel: string): IdentifierKind | undefined {
    const configured = this.channels.get(channel);
    if (configured && configured.accepts !== "any") return configured.accepts;
    if (configured?.medium === "email") return "email";
    if (configured?.medium === "sms" || configured?.medium === "voice") return "phone";
    if (channel === "email") return "email";
    return channel === "sms" || channel === "voice" ? "phone" : undefined;
  }

  /**
   * What a send does, for the guard: a phone number handed to anything but an email channel is
   * taken as a text (or a call, when the channel says "voice"), whatever the channel is called.
   */
  #mediumOf(channel: string, kind: IdentifierKind): DeliveryMedium {
    const configured = this.channels.get(channel);
    if (configured?.medium !== undefined) return configured.medium;
    if (configured?.accepts === "email") return "email";
    return kind === "phone" ? "sms" : "email";
  }

  /** `base`: the scope the code was issued under, which the delivery events share. */
  async #deliver(
    channel: Channel,
    generated: Generated,
    base: EventScope,
    policy: ResolvedPolicy,
    decoy: boolean,
    locale: string | undefined,
    metadata: Metadata | undefined,
  ): Promise<void> {
    if (decoy) return;
    const message = {
      id: generated.id,
      to: generated.identifier,
      code: generated.code,
      purpose: generated.purpose,
      codeExpiresAt: generated.expiresAt,
      ...(typeof locale === "string" && { locale }),
      ...(metadata !== undefined && { metadata }),
    };
    // Asynchronous delivery starts after the answer, so a real send returns after the same work as
    // a decoy (whatever a channel renders, signs or connects happens later for both).
    const deferred = policy.asyncDelivery ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve();
    const attempt = deferred.then(() => deliverWithRetry(channel, message, this.#delivery)).then(
      () => this.#emit("delivered", base, { id: generated.id }),
      async (cause: unknown) => {
        // With shouldSend the answer must be a decoy's, whose delivery never fails: a refusal (or
        // a revoked entry answering CANCELED) would tell a real account from an unknown one. The
        // entry then stays pending until it expires, answering checks as a decoy does; the event
        // tells the operator. Otherwise nothing stays pending after a failed delivery: the user
        // asks again.
        const answerAsDecoy = this.#shouldSend !== undefined;
        if (!answerAsDecoy) await this.store.revoke(generated.id).catch(() => undefined);
        this.#emit("delivery_failed", base, { id: generated.id, reason: "DELIVERY_FAILED" });
        if (!answerAsDecoy) throw new OtpError("DELIVERY_FAILED", { cause });
      },
    );
    // Tracked even when the caller awaits it: a request cut short by a shutdown leaves its
    // delivery running, and close() must wait for it so its outcome is still recorded.
    const tracked = attempt.catch(() => undefined).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
    if (!policy.asyncDelivery) return attempt;
  }

  // --- helpers -------------------------------------------------------------------------------

  #open(context: unknown): OpenedToken {
    if (typeof context !== "string" || context === "") throw new OtpError("MISSING_FIELDS", { message: "The context is required and must be a string." });
    if (context.length > MAX_CONTEXT_CHARS) throw new OtpError("PAYLOAD_TOO_LARGE", { message: "The context is too large." });
    return openToken(this.keyring, context);
  }

  #sameIdentifier(identifier: string, claims: TokenClaims): boolean {
    try {
      return normalizeIdentifier(identifier, { kind: kindOfNormalized(claims.identifier), ...(this.#defaultCountry && { defaultCountry: this.#defaultCountry }) }).value === claims.identifier;
    } catch {
      return false;
    }
  }

  /** Any store failure or a store slower than the timeout is STORE_UNAVAILABLE: never an approval. */
  async #storeCall<T>(operation: () => Promise<T>, deadlineMs: number): Promise<T> {
    if (this.store.inProcess) {
      try {
        return await operation();
      } catch (error) {
        throw new OtpError("STORE_UNAVAILABLE", { cause: error });
      }
    }
    try {
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0) throw new OtpError("STORE_UNAVAILABLE");
      return await withTimeout(operation(), leftMs, "ledger");
    } catch (error) {
      if (error instanceof OtpError) throw error;
      throw new OtpError("STORE_UNAVAILABLE", { cause: error });
    }
  }

  async #guarded<T>(call: () => Promise<T>, base: EventScope): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof OtpError && error.code === "RATE_LIMITED") {
        this.#emit("rate_limited", base, {
          reason: "RATE_LIMITED",
          ...(error.limit !== undefined && { limit: error.limit }),
          ...(error.retryAfterSeconds !== undefined && { retryAfterSeconds: error.retryAfterSeconds }),
        });
      }
      throw error;
    }
  }

  /** One bound for everything an operation asks of its stores, guard and ledger together. */
  #deadline(): number {
    return Date.now() + this.#storeTimeoutMs;
  }

  /**
   * The deadline the stores enforce themselves: earlier than the operation's by their clock-skew
   * allowance (a quarter of the bound, at most 250 ms), which a store waits past its deadline for
   * the server's word. So the operation answers within its bound, and a 503 means the server
   * refused the work: nothing changed.
   */
  #storeDeadline(deadlineMs: number): number {
    return deadlineMs - Math.min(DEFAULT_CLOCK_SKEW_MS, this.#storeTimeoutMs / 4);
  }

  /** The fields every event about this verification shares, built only if an event is wanted. */
  #claimsScope(claims: TokenClaims, client: ClientInfo | undefined, traceId: string | undefined): EventScope {
    return this.#scope(() => ({
      id: claims.id,
      purpose: claims.purpose,
      identifier: maskIdentifier(claims.identifier),
      identifierHash: claims.identifierHash ?? this.keyring.identifierHash(claims.identifier),
      channel: claims.channel,
      maxAttempts: claims.maxAttempts,
      client,
      traceId,
    }));
  }

  #scope(build: () => EventFields): EventScope {
    let fields: EventFields | undefined;
    return () => (fields ??= build());
  }

  // Events cost an HMAC (identifier hash) and a few objects: skip all of it when nobody listens.
  #emit(type: OtpEventType, scope: EventScope, extra?: Partial<EventFields>): void {
    if (!this.#events.wants(type)) return;
    this.#events.emit(buildEvent(type, this.#clock.now(), scope(), extra));
  }
}

type EventFields = Omit<OtpEvent, "type" | "at">;
type EventScope = () => EventFields;

/**
 * One event, always with the same shape (absent fields are undefined): object spreads of
 * varying shapes were the largest cost of emitting on the check path.
 */
function buildEvent(type: OtpEventType, at: number, fields: EventFields, extra: Partial<EventFields> | undefined): OtpEvent {
  return {
    type,
    id: extra?.id ?? fields.id,
    purpose: fields.purpose,
    identifier: fields.identifier,
    identifierHash: fields.identifierHash,
    channel: fields.channel,
    attempts: extra?.attempts ?? fields.attempts,
    maxAttempts: extra?.maxAttempts ?? fields.maxAttempts,
    reason: extra?.reason ?? fields.reason,
    limit: extra?.limit ?? fields.limit,
    retryAfterSeconds: extra?.retryAfterSeconds ?? fields.retryAfterSeconds,
    metadata: extra?.metadata ?? fields.metadata,
    client: fields.client,
    traceId: fields.traceId,
    at,
    codeExpiresAt: extra?.codeExpiresAt ?? fields.codeExpiresAt,
    sessionExpiresAt: extra?.sessionExpiresAt ?? fields.sessionExpiresAt,
  };
}

interface IssueRequest {
  identifier: NormalizedIdentifier;
  purpose: string;
  channel: string;
  metadataJson: string | null;
  metadata: Metadata | undefined;
  policy: ResolvedPolicy;
  client: ClientInfo | undefined;
  traceId: string | undefined;
  identifierHash?: string;
}

function deliversTo(channel: Channel, kind: IdentifierKind | undefined): boolean {
  return channel.accepts === "any" || channel.accepts === kind;
}

function withoutCode(generated: Generated): Issued {
  const { code: _code, ...issued } = generated;
  return issued;
}

/** A caller's trace id, checked like every input: a bad one is the caller's mistake, said at once. */
function traceIdOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !TRACE_ID.test(value)) {
    throw new OtpError("INVALID_REQUEST", { message: `traceId must be 1-${MAX_TRACE_ID_CHARS} visible ASCII characters.` });
  }
  return value;
}

function clientField(client: ClientInfo | undefined): { client?: ClientInfo } {
  return client === undefined ? {} : { client };
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

function pickCodePolicy(input: CodePolicy): CodePolicy | undefined {
  const { codeLength, codeTtlSeconds, sessionTtlSeconds, maxAttempts } = input;
  if (codeLength === undefined && codeTtlSeconds === undefined && sessionTtlSeconds === undefined && maxAttempts === undefined) return undefined;
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
  if (typeof metadata !== "object" || Array.isArray(metadata)) throw new OtpError("INVALID_REQUEST", { message: "metadata must be a JSON object." });
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch {
    throw new OtpError("INVALID_REQUEST", { message: "metadata must be serialisable as JSON." });
  }
  if (Buffer.byteLength(json, "utf8") > MAX_METADATA_BYTES) throw new OtpError("PAYLOAD_TOO_LARGE", { message: "metadata is larger than 5 KB." });
  return json;
}

/** `guard` as given: false for none, a Guard as is, else options for the default one on the store's backend. */
function guardFor(option: OtpOptions["guard"], store: LedgerStore): Guard | undefined {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== "object" || option === null)) throw new TypeError("otp-actions: guard must be false, guard options or a Guard");
  if (option !== undefined && typeof (option as Guard).check === "function") return option as Guard;
  const options = (option ?? {}) as GuardOptions;
  return createGuard({ ...options, counters: options.counters ?? countersFor(store) });
}

/** In production, one warning for each protection that is missing. */
function warnIfUnprotected(store: LedgerStore, guard: Guard | undefined): void {
  if (process.env.NODE_ENV !== "production") return;
  const gaps: string[] = [];
  if (!guard) gaps.push("guard: false leaves sends and checks without rate limits or lockouts");
  if (store.kind === "memory") gaps.push("the memory store keeps the ledger and the limits in this process only: a restart forgets every used code and lockout, and other instances share nothing");
  if (gaps.length > 0) process.emitWarning(`otp-actions: unprotected in production: ${gaps.join("; ")}.`, { code: "OTP_ACTIONS_UNPROTECTED" });
}
