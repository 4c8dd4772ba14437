import type { CountryCode } from "libphonenumber-js";
import type { Channel } from "../contracts/channel.js";
import { LOCALE_PATTERN, MAX_ATTEMPTS_BOUND, MAX_CODE_LENGTH, MIN_CODE_LENGTH, NAME_PATTERN } from "../core/limits.js";
import { integerIn, refuseUnknownKeys } from "../core/util/option-checks.js";
import type { Keyring } from "../core/keyring.js";
import type { Guard } from "../contracts/guard.js";
import type { GuardOptions } from "../guard/options.js";
import type { LedgerStore } from "../contracts/ledger.js";
import type { OtpEvent } from "../contracts/events.js";

/** Milliseconds since the epoch. Tests pass a fake one (`otp-actions/testing`). */
export interface Clock {
  /** Now, in milliseconds since the epoch. */
  now(): number;
}

/** What can differ per purpose, or per call. */
export interface CodePolicy {
  /** Digits per code, 6-10. Default 6. */
  codeLength?: number;
  /** How long a code can be used. Default 300. */
  codeTtlSeconds?: number;
  /** How long the context (and its resends) lives. Default 900; at least codeTtlSeconds. */
  sessionTtlSeconds?: number;
  /** Checks allowed per verification, resends included. Default 3, at most 100. */
  maxAttempts?: number;
}

/** Policy that can be set for the engine as well as per purpose. */
export interface EnginePolicy extends CodePolicy {
  /** Codes one session may send (first + resends). Default 5. */
  maxSendsPerSession?: number;
  /**
   * Answer `start`/`resend` before the channel finishes, so response time never depends on the
   * channel (or on whether the account exists). A failed delivery then revokes the verification
   * (with `shouldSend`, leaves it pending, as a decoy's) and emits `delivery_failed`. Default false.
   */
  asyncDelivery?: boolean;
  /**
   * The message locale (a BCP 47 tag such as "fr" or "pt-BR") when `start`/`resend` gives none.
   * Default: none, so the channel's own default applies.
   */
  locale?: string;
  /**
   * `"required"`: every `start`/`generate` must bind its code to a transaction (amount, currency,
   * payee), as PSD2 dynamic linking asks of payments; one without is refused with INVALID_REQUEST.
   * Default `"optional"`: a transaction is bound when one is given.
   */
  transaction?: "required" | "optional";
  /**
   * When a check's failures lock the identifier out, tell its owner: a notice (no code) goes to
   * the identifier through the code's channel, or `channel`, after the check has answered. At most
   * one per lockout and one per identifier per day, counted on the guard's backend; nothing
   * without a guard. Default false. See docs/abuse-protection.md.
   */
  lockoutNotice?: boolean | LockoutNoticeOptions;
}

/** Where lockout notices go. */
export interface LockoutNoticeOptions {
  /** The channel (one of the engine's) notices go through. Default: the one that delivered the code. */
  channel?: string;
}

/** Policy that can be set per purpose (`purposes`); the engine-wide `channels` list is `allowedChannels`. */
export interface PurposePolicy extends EnginePolicy {
  /**
   * The channels (by name, each one of the engine's) this purpose may deliver through. A
   * `start`/`resend` whose channel, named or picked by default, is not listed is refused with
   * INVALID_REQUEST before anything is issued. Default: the engine's `allowedChannels`, else any.
   * `generate` (the caller delivers) is not restricted.
   */
  channels?: readonly string[];
}

/** How channels are called: per-attempt timeout and retries. */
export interface DeliveryOptions {
  /** Per attempt. Default 10,000 ms. */
  timeoutMs?: number;
  /** Further attempts after the first fails. Default 2. */
  retries?: number;
  /** Delay before the first retry, doubled each time. Default 250 ms. */
  retryDelayMs?: number;
}

/** What `shouldSend` is asked about: the send `start` is about to make. */
export interface ShouldSendRequest {
  /** The identifier, normalised. */
  identifier: string;
  /** The purpose of the start. */
  purpose: string;
  /** The channel that would deliver. */
  channel: string;
}

/** What `createOtp` takes: the keys, and everything else optional. */
export interface OtpOptions extends EnginePolicy {
  /**
   * `"kid:base64url-32-bytes,kid2:…"` (or a list, or a parsed Keyring). The first seals. Undefined
   * is allowed so that `process.env.OTP_KEYS` can be passed as is: unset, it throws a clear error.
   */
  keys: string | readonly string[] | Keyring | undefined;
  /** The ledger. Default: an in-process memory store. */
  store?: LedgerStore;
  /** Per-purpose overrides of the policy, e.g. `{ payment: { maxAttempts: 1 } }`. */
  purposes?: Record<string, PurposePolicy>;
  /** Channels `start`/`resend` deliver through, by name. */
  channels?: readonly Channel[];
  /**
   * The channels (by name) a purpose may deliver through unless its own `channels` says
   * otherwise; see PurposePolicy.channels. Default: any of `channels`.
   */
  allowedChannels?: readonly string[];
  /** Channel used when a request names none. Default: by identifier kind, "email" or "sms". */
  defaultChannel?: string;
  /** Timeout and retries of channel deliveries. */
  delivery?: DeliveryOptions;
  /** A store call that takes longer fails with STORE_UNAVAILABLE. Default 1,000 ms. */
  storeTimeoutMs?: number;
  /** ISO country for national-format phone numbers. */
  defaultCountry?: CountryCode;
  /**
   * Abuse protection, on by default: send limits, failure budgets and lockouts, per-IP budgets and
   * SMS pumping defences, counted on the store's own backend. Give options to tune it, a Guard of
   * your own, or `false` to turn it off (a production start then warns).
   */
  guard?: GuardOptions | Guard | false;
  /**
   * Says whether an account exists. When it answers false, `start` answers exactly as for a real
   * send but delivers nothing, and the context can never verify (no account enumeration).
   */
  shouldSend?: (request: ShouldSendRequest) => boolean | Promise<boolean>;
  /** Where time comes from. Default `Date.now`. */
  clock?: Clock;
  /** Called when an event listener throws. Default: ignored. */
  onListenerError?: (error: unknown, event: OtpEvent) => void;
}

/** A policy with every default applied, in milliseconds. */
export interface ResolvedPolicy {
  /** Digits per code. */
  codeLength: number;
  /** How long a code can be used. */
  codeTtlMs: number;
  /** How long the context (and its resends) lives. */
  sessionTtlMs: number;
  /** Checks allowed per verification. */
  maxAttempts: number;
  /** Codes one session may send (first + resends). */
  maxSendsPerSession: number;
  /** Whether `start`/`resend` answer before the channel finishes. */
  asyncDelivery: boolean;
  /** The channels `start`/`resend` may deliver through; absent: any. */
  channels?: readonly string[];
  /** The message locale when a `start`/`resend` gives none. */
  locale?: string;
  /** Present when every code of the purpose must be bound to a transaction. */
  transaction?: "required";
  /** Present when a lockout sends its identifier a notice. */
  lockoutNotice?: LockoutNoticeOptions;
}

/** The policy an engine uses where its options set nothing. */
export const DEFAULT_POLICY: Readonly<ResolvedPolicy> = Object.freeze({
  codeLength: 6,
  codeTtlMs: 300_000,
  sessionTtlMs: 900_000,
  maxAttempts: 3,
  maxSendsPerSession: 5,
  asyncDelivery: false,
});

const DAY_SECONDS = 86_400;

/** The range a policy field accepts, and what it counts. */
export interface PolicyBound {
  readonly min: number;
  readonly max: number;
  readonly unit: "digits" | "seconds" | "attempts" | "sends";
}

/**
 * The bounds of each numeric policy field: what createOtp, its purposes and the service's
 * environment variables accept. Every check of a policy field reads its numbers from here.
 */
export const POLICY_BOUNDS = Object.freeze({
  codeLength: Object.freeze({ min: MIN_CODE_LENGTH, max: MAX_CODE_LENGTH, unit: "digits" }),
  codeTtlSeconds: Object.freeze({ min: 1, max: DAY_SECONDS, unit: "seconds" }),
  sessionTtlSeconds: Object.freeze({ min: 1, max: 7 * DAY_SECONDS, unit: "seconds" }),
  maxAttempts: Object.freeze({ min: 1, max: MAX_ATTEMPTS_BOUND, unit: "attempts" }),
  maxSendsPerSession: Object.freeze({ min: 1, max: 255, unit: "sends" }),
} as const satisfies Record<string, PolicyBound>);

export type BoundedPolicyField = keyof typeof POLICY_BOUNDS;

/** A policy field's value, checked against its bounds: a TypeError naming `where.field` otherwise. */
function bounded(where: string, field: BoundedPolicyField, value: unknown): number {
  const { min, max } = POLICY_BOUNDS[field];
  return integerIn(`${where}.${field}`, value, min, max);
}

const POLICY_KEYS = [
  "codeLength",
  "codeTtlSeconds",
  "sessionTtlSeconds",
  "maxAttempts",
  "maxSendsPerSession",
  "asyncDelivery",
  "locale",
  "transaction",
  "lockoutNotice",
] as const;
const OPTION_KEYS = new Set<string>([
  ...POLICY_KEYS,
  "allowedChannels",
  "keys",
  "store",
  "purposes",
  "channels",
  "defaultChannel",
  "delivery",
  "storeTimeoutMs",
  "defaultCountry",
  "guard",
  "shouldSend",
  "clock",
  "onListenerError",
]);
/** What `purposes.<name>` takes: the policy and the channels the purpose may deliver through. */
export const PURPOSE_POLICY_KEYS = [...POLICY_KEYS, "channels"] as const;
const PURPOSE_KEYS = new Set<string>(PURPOSE_POLICY_KEYS);
const NAME = new RegExp(NAME_PATTERN);
const LOCALE = new RegExp(LOCALE_PATTERN);

/** A list of channel names: at least one, each a channel name. A TypeError naming `label` otherwise. */
export function channelNames(label: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((name) => typeof name === "string" && NAME.test(name)))
    throw new TypeError(`otp-actions: ${label} must be a non-empty list of channel names`);
  return Object.freeze([...new Set(value as string[])]);
}

/** A BCP 47 language tag, as a message locale is given. A TypeError naming `label` otherwise. */
export function localeTag(label: string, value: unknown): string {
  if (typeof value !== "string" || !LOCALE.test(value))
    throw new TypeError(`otp-actions: ${label} must be a BCP 47 language tag such as "fr" or "pt-BR"`);
  return value;
}
const DELIVERY_KEYS = new Set<string>(["timeoutMs", "retries", "retryDelayMs"]);

/** The engine's options, purposes and delivery included, hold only keys they know. */
export function refuseUnknownOptions(options: object): void {
  refuseUnknownKeys(options, OPTION_KEYS, "createOtp options");
  const { purposes, delivery } = options as { purposes?: unknown; delivery?: unknown };
  if (typeof purposes === "object" && purposes !== null) {
    for (const [purpose, overrides] of Object.entries(purposes)) {
      if (typeof overrides === "object" && overrides !== null) refuseUnknownKeys(overrides, PURPOSE_KEYS, `purposes.${purpose}`);
    }
  }
  if (typeof delivery === "object" && delivery !== null) refuseUnknownKeys(delivery, DELIVERY_KEYS, "delivery");
}

/** Lays `overrides` over `base`, validating each given field. Throws TypeError on misuse. */
export function resolvePolicy(base: ResolvedPolicy, overrides: PurposePolicy | undefined, where: string): ResolvedPolicy {
  if (overrides === undefined) return base;
  if (typeof overrides !== "object" || overrides === null) throw new TypeError(`otp-actions: ${where} must be an object`);
  const policy = { ...base };
  if (overrides.codeLength !== undefined) policy.codeLength = bounded(where, "codeLength", overrides.codeLength);
  if (overrides.codeTtlSeconds !== undefined) policy.codeTtlMs = bounded(where, "codeTtlSeconds", overrides.codeTtlSeconds) * 1000;
  if (overrides.sessionTtlSeconds !== undefined)
    policy.sessionTtlMs = bounded(where, "sessionTtlSeconds", overrides.sessionTtlSeconds) * 1000;
  if (overrides.maxAttempts !== undefined) policy.maxAttempts = bounded(where, "maxAttempts", overrides.maxAttempts);
  if (overrides.maxSendsPerSession !== undefined)
    policy.maxSendsPerSession = bounded(where, "maxSendsPerSession", overrides.maxSendsPerSession);
  if (overrides.asyncDelivery !== undefined) {
    if (typeof overrides.asyncDelivery !== "boolean") throw new TypeError(`otp-actions: ${where}.asyncDelivery must be a boolean`);
    policy.asyncDelivery = overrides.asyncDelivery;
  }
  if (overrides.channels !== undefined) policy.channels = channelNames(`${where}.channels`, overrides.channels);
  if (overrides.locale !== undefined) policy.locale = localeTag(`${where}.locale`, overrides.locale);
  if (overrides.transaction !== undefined) {
    if (overrides.transaction !== "required" && overrides.transaction !== "optional")
      throw new TypeError(`otp-actions: ${where}.transaction must be "required" or "optional"`);
    if (overrides.transaction === "required") policy.transaction = "required";
    else delete policy.transaction;
  }
  if (overrides.lockoutNotice !== undefined) {
    const notice = lockoutNoticeOf(`${where}.lockoutNotice`, overrides.lockoutNotice);
    if (notice) policy.lockoutNotice = notice;
    else delete policy.lockoutNotice;
  }
  if (policy.sessionTtlMs < policy.codeTtlMs) {
    throw new TypeError(`otp-actions: ${where}.sessionTtlSeconds must be at least codeTtlSeconds`);
  }
  return policy;
}

/** `lockoutNotice` as given: false, true, or where notices go. A TypeError naming `label` otherwise. */
function lockoutNoticeOf(label: string, value: unknown): LockoutNoticeOptions | undefined {
  if (value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TypeError(`otp-actions: ${label} must be a boolean or { channel }`);
  refuseUnknownKeys(value, new Set(["channel"]), label);
  const { channel } = value as { channel?: unknown };
  if (channel === undefined) return {};
  if (typeof channel !== "string" || !NAME.test(channel)) throw new TypeError(`otp-actions: ${label}.channel must be a channel name`);
  return { channel };
}

export interface ResolvedDelivery {
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

export function resolveDelivery(options: DeliveryOptions | undefined): ResolvedDelivery {
  return {
    timeoutMs: integerIn("delivery.timeoutMs", options?.timeoutMs ?? 10_000, 1, 300_000),
    retries: integerIn("delivery.retries", options?.retries ?? 2, 0, 10),
    retryDelayMs: integerIn("delivery.retryDelayMs", options?.retryDelayMs ?? 250, 0, 60_000),
  };
}
