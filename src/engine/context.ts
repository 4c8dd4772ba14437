import type { CountryCode } from "libphonenumber-js";
import type { Channel } from "../contracts/channel.js";
import type { Guard } from "../contracts/guard.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { OtpError } from "../core/errors.js";
import type { Keyring } from "../core/keyring.js";
import { MAX_CONTEXT_CHARS, MAX_TRACE_ID_CHARS, TRACE_ID_PATTERN } from "../core/limits.js";
import { openToken, type OpenedToken } from "../core/token.js";
import { DEFAULT_CLOCK_SKEW_MS, withTimeout } from "../core/util/with-timeout.js";
import { emit, type EventScope, type OtpEvents } from "./event-bus.js";
import type { Clock, OtpOptions, ResolvedDelivery, ResolvedPolicy } from "./options.js";

/**
 * What every operation works with: the engine's state, resolved once by createOtp from its
 * options. Each operation is a function of this and its input.
 */
export interface EngineContext {
  readonly keyring: Keyring;
  readonly store: LedgerStore;
  readonly guard: Guard | undefined;
  readonly clock: Clock;
  readonly events: OtpEvents;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly defaultChannel: string | undefined;
  readonly defaultCountry: CountryCode | undefined;
  readonly delivery: ResolvedDelivery;
  readonly shouldSend: OtpOptions["shouldSend"];
  /** One bound for everything an operation asks of its stores, guard and ledger together. */
  readonly storeTimeoutMs: number;
  /** Deliveries still running, asynchronous or not: close() waits for them. */
  readonly inFlight: Set<Promise<void>>;
  /** The `maxAttempts` every purpose shares, or undefined when purposes differ (see status). */
  readonly sharedMaxAttempts: number | undefined;
  /** The purpose's policy, else the engine's. */
  policyFor(purpose: string): ResolvedPolicy;
}

const TRACE_ID = new RegExp(TRACE_ID_PATTERN);

/** An operation's deadline: now plus the engine's bound. */
export function deadline(ctx: EngineContext): number {
  return Date.now() + ctx.storeTimeoutMs;
}

/**
 * The deadline the stores enforce themselves: earlier than the operation's by their clock-skew
 * allowance (a quarter of the bound, at most 250 ms), which a store waits past its deadline for
 * the server's word. So the operation answers within its bound, and a 503 means the server
 * refused the work: nothing changed.
 */
export function storeDeadline(ctx: EngineContext, deadlineMs: number): number {
  return deadlineMs - Math.min(DEFAULT_CLOCK_SKEW_MS, ctx.storeTimeoutMs / 4);
}

/** Any store failure or a store slower than the timeout is STORE_UNAVAILABLE: never an approval. */
export async function storeCall<T>(ctx: EngineContext, operation: () => Promise<T>, deadlineMs: number): Promise<T> {
  if (ctx.store.inProcess) {
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

/** A guard call: a refusal is told to listeners as `rate_limited` before it reaches the caller. */
export async function guarded<T>(ctx: EngineContext, call: () => Promise<T>, base: EventScope): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OtpError && error.code === "RATE_LIMITED") {
      emit(ctx, "rate_limited", base, {
        reason: "RATE_LIMITED",
        ...(error.limit !== undefined && { limit: error.limit }),
        ...(error.retryAfterSeconds !== undefined && { retryAfterSeconds: error.retryAfterSeconds }),
      });
    }
    throw error;
  }
}

/** A caller's context, opened: missing, oversized or forged ones are refused. */
export function openContext(ctx: EngineContext, context: unknown): OpenedToken {
  if (typeof context !== "string" || context === "")
    throw new OtpError("MISSING_FIELDS", { message: "The context is required and must be a string." });
  if (context.length > MAX_CONTEXT_CHARS) throw new OtpError("PAYLOAD_TOO_LARGE", { message: "The context is too large." });
  return openToken(ctx.keyring, context);
}

/** A caller's trace id, checked like every input: a bad one is the caller's mistake, said at once. */
export function traceIdOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !TRACE_ID.test(value)) {
    throw new OtpError("INVALID_REQUEST", { message: `traceId must be 1-${MAX_TRACE_ID_CHARS} visible ASCII characters.` });
  }
  return value;
}
