import { integerIn as checkInteger, refuseUnknownKeys } from "../core/util/option-checks.js";
import type { CountryCode, PhoneNumberType } from "libphonenumber-js";
import { MAX_ATTEMPTS_BOUND } from "../core/limits.js";
import type { CounterStore } from "./counters/counter-store.js";

/** At most `max` events per `windowSeconds` (a fixed window that starts with the first event). */
export interface LimitWindow {
  /** Events allowed per window. */
  max: number;
  /** The window's length. */
  windowSeconds: number;
}

/** Lockout lengths: the first, doubling up to a ceiling. */
export interface LockoutSettings {
  /** The first lockout. Default 900 (15 minutes). */
  baseSeconds?: number;
  /** Each further lockout doubles, up to this. Default 14,400 (4 hours). */
  maxSeconds?: number;
  /** Lockouts are counted (for the doubling) within this window from the first one. Default 86,400. */
  levelWindowSeconds?: number;
}

/** Limits that can differ per purpose. `false` turns a limit off. */
export interface LimitSettings {
  /** Sends to one identifier for one purpose. Default 5 per 600 s (Twilio Verify's). */
  sendsPerIdentifier?: LimitWindow | false;
  /** Minimum time between two sends to one identifier for one purpose. Default 30; 0 turns it off. */
  resendCooldownSeconds?: number;
  /** Sends from one end-user IP (IPv6: its /64). Default 30 per 3,600 s. */
  sendsPerIp?: LimitWindow | false;
  /**
   * Consecutive failed checks for one identifier + purpose from one IP before that pair is locked
   * out. Default 5 (never more than failuresPerIdentifier). A success from that IP resets the count.
   */
  failuresPerIdentifierAndIp?: number;
  /**
   * Consecutive failed checks for one identifier + purpose across every IP, code and resend before
   * the factor itself is locked out. Default 20, at most 100
   * (NIST SP 800-63B-4). A success resets the count.
   */
  failuresPerIdentifier?: number;
  /** How long failures are remembered without a success. Default 86,400. */
  failureWindowSeconds?: number;
  /** Lockout lengths once a failure budget fills. */
  lockout?: LockoutSettings;
  /** Failed checks and replays from one end-user IP across identifiers (spraying). Default 50 per 3,600 s. */
  failuresPerIp?: LimitWindow | false;
}

/** The SMS pumping defence on number prefixes. */
export interface PrefixVelocitySettings {
  /** Numbers that differ only in their last `suffixDigits` digits share a prefix. Default 3. */
  suffixDigits?: number;
  /** Distinct numbers under one prefix allowed per window. Default 10. */
  maxNumbers?: number;
  /** The window distinct numbers are counted in. Default 3,600. */
  windowSeconds?: number;
  /** How long a prefix stays blocked once over. Default 3,600. */
  blockSeconds?: number;
}

/** The guard's options: limits, their per-purpose overrides, counters and SMS defences. */
export interface GuardOptions extends LimitSettings {
  /**
   * Where counters live. Default with `createOtp`: the store's own backend (its SQLite file,
   * Redis client or Postgres pool; memory with the memory store). Default with `createGuard`
   * alone: memory (one process).
   */
  counters?: CounterStore;
  /** Per-purpose overrides, e.g. `{ payment: { failuresPerIdentifier: 3 } }`. */
  purposes?: Record<string, LimitSettings>;
  /**
   * A ceiling per channel across every identifier and IP (an SMS bill has one). Default: 1,000 per
   * 3,600 s for every channel that delivers to a phone number. `false` turns a channel's budget off.
   */
  channelBudgets?: Record<string, LimitWindow | false>;
  /** ISO countries codes may be sent to as a text or a call. Default: any (a production start warns). */
  smsCountries?: readonly CountryCode[];
  /**
   * Number types each medium may deliver to. Default MOBILE and FIXED_LINE_OR_MOBILE, plus
   * FIXED_LINE for "voice"; premium-rate, shared-cost, toll-free and the rest are refused.
   */
  smsNumberTypes?: {
    /** Types a text may go to. */
    sms?: readonly PhoneNumberType[];
    /** Types a call may go to. */
    voice?: readonly PhoneNumberType[];
  };
  /** Blocks a number prefix that many distinct numbers are sent to (SMS pumping). `false` turns it off. */
  prefixVelocity?: PrefixVelocitySettings | false;
  /** Told about a counter failure after a check was decided (the result stands; the failure is not the caller's). */
  onBackendError?: (error: unknown) => void;
}

/** Limits with every default applied; `null` is off. */
export interface ResolvedLimits {
  /** Sends to one identifier for one purpose. */
  sendsPerIdentifier: LimitWindow | null;
  /** Minimum seconds between two sends to one identifier. */
  resendCooldownSeconds: number;
  /** Sends from one IP. */
  sendsPerIp: LimitWindow | null;
  /** Consecutive failed checks for one identifier from one IP. */
  failuresPerIdentifierAndIp: number;
  /** Consecutive failed checks for one identifier across IPs. */
  failuresPerIdentifier: number;
  /** How long failures are remembered without a success. */
  failureWindowSeconds: number;
  /** Lockout lengths. */
  lockout: Required<LockoutSettings>;
  /** Failed checks from one IP across identifiers. */
  failuresPerIp: LimitWindow | null;
}

/** The limits a guard uses where its options set nothing. */
export const DEFAULT_LIMITS: Readonly<ResolvedLimits> = Object.freeze({
  sendsPerIdentifier: { max: 5, windowSeconds: 600 },
  resendCooldownSeconds: 30,
  sendsPerIp: { max: 30, windowSeconds: 3600 },
  failuresPerIdentifierAndIp: 5,
  failuresPerIdentifier: 20,
  failureWindowSeconds: 86_400,
  lockout: { baseSeconds: 900, maxSeconds: 14_400, levelWindowSeconds: 86_400 },
  failuresPerIp: { max: 50, windowSeconds: 3600 },
});

export const DEFAULT_CHANNEL_BUDGET: LimitWindow = { max: 1000, windowSeconds: 3600 };
export const DEFAULT_SMS_NUMBER_TYPES: readonly PhoneNumberType[] = ["MOBILE", "FIXED_LINE_OR_MOBILE"];
export const DEFAULT_VOICE_NUMBER_TYPES: readonly PhoneNumberType[] = ["MOBILE", "FIXED_LINE_OR_MOBILE", "FIXED_LINE"];
export const DEFAULT_PREFIX_VELOCITY: Required<PrefixVelocitySettings> = {
  suffixDigits: 3,
  maxNumbers: 10,
  windowSeconds: 3600,
  blockSeconds: 3600,
};

const WEEK_SECONDS = 7 * 86_400;

/** The shared check, its message naming the option as the guard's. */
export function integerIn(name: string, value: unknown, min: number, max: number): number {
  return checkInteger(`guard option ${name}`, value, min, max);
}

export function resolveWindow(name: string, value: LimitWindow | false | undefined, fallback: LimitWindow | null): LimitWindow | null {
  if (value === undefined) return fallback;
  if (value === false) return null;
  if (typeof value !== "object" || value === null)
    throw new TypeError(`otp-actions: guard option ${name} must be { max, windowSeconds } or false`);
  return {
    max: integerIn(`${name}.max`, value.max, 1, 1_000_000_000),
    windowSeconds: integerIn(`${name}.windowSeconds`, value.windowSeconds, 1, WEEK_SECONDS),
  };
}

const LIMIT_KEYS = [
  "sendsPerIdentifier",
  "resendCooldownSeconds",
  "sendsPerIp",
  "failuresPerIdentifierAndIp",
  "failuresPerIdentifier",
  "failureWindowSeconds",
  "lockout",
  "failuresPerIp",
];
const PURPOSE_LIMIT_KEYS = new Set(LIMIT_KEYS);
const LOCKOUT_KEYS = new Set(["baseSeconds", "maxSeconds", "levelWindowSeconds"]);
const GUARD_OPTION_KEYS = new Set([
  ...LIMIT_KEYS,
  "counters",
  "purposes",
  "channelBudgets",
  "smsCountries",
  "smsNumberTypes",
  "prefixVelocity",
  "onBackendError",
]);

/** createGuard's options hold only keys it knows: a misspelt limit would leave its default in force. */
export function refuseUnknownGuardOptions(options: object): void {
  refuseUnknownKeys(options, GUARD_OPTION_KEYS, "createGuard options");
  refuseUnknownLockoutKeys(options, "lockout");
  const { purposes } = options as { purposes?: unknown };
  if (typeof purposes !== "object" || purposes === null) return;
  for (const [purpose, limits] of Object.entries(purposes)) {
    if (typeof limits !== "object" || limits === null) continue; // resolveLimits says what is wrong
    refuseUnknownKeys(limits, PURPOSE_LIMIT_KEYS, `guard option purposes.${purpose}`);
    refuseUnknownLockoutKeys(limits, `purposes.${purpose}.lockout`);
  }
}

function refuseUnknownLockoutKeys(limits: object, where: string): void {
  const { lockout } = limits as { lockout?: unknown };
  if (typeof lockout === "object" && lockout !== null) refuseUnknownKeys(lockout, LOCKOUT_KEYS, `guard option ${where}`);
}

/** Lays `overrides` over `base`, validating each given field. Throws TypeError on misuse. */
export function resolveLimits(base: ResolvedLimits, overrides: LimitSettings | undefined, where: string): ResolvedLimits {
  if (overrides === undefined) return base;
  if (typeof overrides !== "object" || overrides === null) throw new TypeError(`otp-actions: guard option ${where} must be an object`);
  const lockout = overrides.lockout;
  if (lockout !== undefined && (typeof lockout !== "object" || lockout === null))
    throw new TypeError(`otp-actions: guard option ${where}.lockout must be an object`);
  const resolved: ResolvedLimits = {
    sendsPerIdentifier: resolveWindow(`${where}.sendsPerIdentifier`, overrides.sendsPerIdentifier, base.sendsPerIdentifier),
    resendCooldownSeconds:
      overrides.resendCooldownSeconds === undefined
        ? base.resendCooldownSeconds
        : integerIn(`${where}.resendCooldownSeconds`, overrides.resendCooldownSeconds, 0, 86_400),
    sendsPerIp: resolveWindow(`${where}.sendsPerIp`, overrides.sendsPerIp, base.sendsPerIp),
    failuresPerIdentifierAndIp:
      overrides.failuresPerIdentifierAndIp === undefined
        ? base.failuresPerIdentifierAndIp
        : integerIn(`${where}.failuresPerIdentifierAndIp`, overrides.failuresPerIdentifierAndIp, 1, MAX_ATTEMPTS_BOUND),
    failuresPerIdentifier:
      overrides.failuresPerIdentifier === undefined
        ? base.failuresPerIdentifier
        : integerIn(`${where}.failuresPerIdentifier`, overrides.failuresPerIdentifier, 1, MAX_ATTEMPTS_BOUND),
    failureWindowSeconds:
      overrides.failureWindowSeconds === undefined
        ? base.failureWindowSeconds
        : integerIn(`${where}.failureWindowSeconds`, overrides.failureWindowSeconds, 1, 30 * 86_400),
    lockout: {
      baseSeconds:
        lockout?.baseSeconds === undefined
          ? base.lockout.baseSeconds
          : integerIn(`${where}.lockout.baseSeconds`, lockout.baseSeconds, 1, WEEK_SECONDS),
      maxSeconds:
        lockout?.maxSeconds === undefined
          ? base.lockout.maxSeconds
          : integerIn(`${where}.lockout.maxSeconds`, lockout.maxSeconds, 1, WEEK_SECONDS),
      levelWindowSeconds:
        lockout?.levelWindowSeconds === undefined
          ? base.lockout.levelWindowSeconds
          : integerIn(`${where}.lockout.levelWindowSeconds`, lockout.levelWindowSeconds, 1, 30 * 86_400),
    },
    failuresPerIp: resolveWindow(`${where}.failuresPerIp`, overrides.failuresPerIp, base.failuresPerIp),
  };
  // The budget across IPs is the higher one: a lower factor budget lowers the pair's with it.
  resolved.failuresPerIdentifierAndIp = Math.min(resolved.failuresPerIdentifierAndIp, resolved.failuresPerIdentifier);
  if (resolved.lockout.maxSeconds < resolved.lockout.baseSeconds) {
    throw new TypeError(`otp-actions: guard option ${where}.lockout.maxSeconds must be at least baseSeconds`);
  }
  return resolved;
}

export function resolvePrefixVelocity(value: PrefixVelocitySettings | false | undefined): Required<PrefixVelocitySettings> | null {
  if (value === false) return null;
  if (value === undefined) return DEFAULT_PREFIX_VELOCITY;
  if (typeof value !== "object" || value === null)
    throw new TypeError("otp-actions: guard option prefixVelocity must be an object or false");
  const d = DEFAULT_PREFIX_VELOCITY;
  return {
    suffixDigits: integerIn("prefixVelocity.suffixDigits", value.suffixDigits ?? d.suffixDigits, 1, 6),
    maxNumbers: integerIn("prefixVelocity.maxNumbers", value.maxNumbers ?? d.maxNumbers, 1, 1_000_000),
    windowSeconds: integerIn("prefixVelocity.windowSeconds", value.windowSeconds ?? d.windowSeconds, 1, WEEK_SECONDS),
    blockSeconds: integerIn("prefixVelocity.blockSeconds", value.blockSeconds ?? d.blockSeconds, 1, WEEK_SECONDS),
  };
}
