import { normalizeIdentifier, type IdentifierKind, type NormalizedIdentifier } from "../core/identifiers.js";
import { isSupportedCountry } from "libphonenumber-js";
import type { Channel } from "../contracts/channel.js";
import type { OtpEventListener, OtpEventType } from "../contracts/events.js";
import type { Guard } from "../contracts/guard.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { Keyring, parseKeys, sealsWithRunTimeKey } from "../core/keyring.js";
import { integerIn } from "../core/util/option-checks.js";
import { countersFor } from "../guard/counters/for-store.js";
import { createGuard } from "../guard/index.js";
import type { GuardOptions } from "../guard/options.js";
import { MemoryStore } from "../stores/memory.js";
import type { EngineContext } from "./context.js";
import { OtpEvents } from "./event-bus.js";
import { generate, NAME, start } from "./issue.js";
import {
  channelNames,
  DEFAULT_POLICY,
  resolveDelivery,
  resolvePolicy,
  refuseUnknownOptions,
  type OtpOptions,
  type ResolvedPolicy,
} from "./options.js";
import { regenerate, resend } from "./resend.js";
import { revoke } from "./revoke.js";
import { cancel } from "./cancel.js";
import { unlock } from "./unlock.js";
import { status } from "./status.js";
import { totpOf } from "./totp/index.js";
import type { Totp } from "./totp/types.js";
import type {
  CancelOptions,
  GenerateInput,
  Generated,
  Issued,
  Otp,
  ResendInput,
  RevokeOptions,
  StartInput,
  Unlocked,
  UnlockInput,
  Verified,
  VerificationStatus,
  VerifyInput,
} from "./types.js";
import { verify } from "./verify.js";

/** The engine: issues, delivers, checks and cancels one-time codes under `options`' keys, store, channels and limits. */
export function createOtp(options: OtpOptions): Otp {
  return new OtpEngine(options);
}

/**
 * The facade: checks the options once, resolves them into the context every operation works
 * with, and hands each call to its operation (issue, verify, resend, revoke).
 */
class OtpEngine implements Otp {
  readonly keyring: Keyring;
  readonly store: LedgerStore;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly totp: Totp;
  readonly #ctx: EngineContext;

  constructor(options: OtpOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: createOtp needs an options object");
    if (options.keys === undefined || options.keys === null)
      throw new TypeError(
        "otp-actions: `keys` is required: pass the OTP_KEYS of your configuration (`npx otp-actions keygen` prints a key)",
      );
    refuseUnknownOptions(options);
    this.keyring = options.keys instanceof Keyring ? options.keys : parseKeys(options.keys);
    warnIfRunTimeKey(this.keyring);
    const clock = options.clock ?? { now: Date.now };
    this.store = options.store ?? new MemoryStore({ now: () => clock.now() });
    const guard = guardFor(options.guard, this.store);
    warnIfUnprotected(this.store, guard);
    this.channels = new Map((options.channels ?? []).map((channel) => [channel.name, channel]));
    // `channels` of the options are the channels themselves; the engine-wide list of names is allowedChannels.
    const { channels: _channels, allowedChannels, ...engineWide } = options;
    const policy = resolvePolicy(
      DEFAULT_POLICY,
      {
        ...engineWide,
        ...(allowedChannels !== undefined && { channels: channelNames("options.allowedChannels", allowedChannels) }),
      },
      "options",
    );
    refuseUnknownChannels(this.channels, policy, "allowedChannels");
    const purposes = new Map<string, ResolvedPolicy>(
      Object.entries(options.purposes ?? {}).map(([purpose, overrides]) => {
        if (!NAME.test(purpose)) throw new TypeError(`otp-actions: purpose '${purpose}' is not a valid purpose name`);
        const resolved = resolvePolicy(policy, overrides, `purposes.${purpose}`);
        refuseUnknownChannels(this.channels, resolved, `purposes.${purpose}.channels`);
        return [purpose, resolved];
      }),
    );
    const delivery = resolveDelivery(options.delivery);
    const storeTimeoutMs = integerIn("storeTimeoutMs", options.storeTimeoutMs ?? 1000, 1, 60_000);
    if (options.defaultChannel !== undefined && !this.channels.has(options.defaultChannel)) {
      throw new TypeError(`otp-actions: defaultChannel '${options.defaultChannel}' is not among the channels`);
    }
    if (
      options.defaultCountry !== undefined &&
      (typeof options.defaultCountry !== "string" || !isSupportedCountry(options.defaultCountry))
    ) {
      throw new TypeError('otp-actions: defaultCountry must be an ISO 3166 alpha-2 code in capitals, such as "US"');
    }
    this.#ctx = {
      keyring: this.keyring,
      store: this.store,
      guard,
      clock,
      events: new OtpEvents(options.onListenerError),
      channels: this.channels,
      defaultChannel: options.defaultChannel,
      defaultCountry: options.defaultCountry,
      delivery,
      shouldSend: options.shouldSend,
      storeTimeoutMs,
      inFlight: new Set(),
      sharedMaxAttempts: [...purposes.values()].every((each) => each.maxAttempts === policy.maxAttempts) ? policy.maxAttempts : undefined,
      policyFor: (purpose) => purposes.get(purpose) ?? policy,
    };
    this.totp = totpOf(this.#ctx);
  }

  on(type: OtpEventType | "*", listener: OtpEventListener): () => void {
    return this.#ctx.events.on(type, listener);
  }

  normalizeIdentifier(identifier: string, kind?: IdentifierKind): NormalizedIdentifier {
    const defaultCountry = this.#ctx.defaultCountry;
    return normalizeIdentifier(identifier, {
      ...(kind !== undefined && { kind }),
      ...(defaultCountry !== undefined && { defaultCountry }),
    });
  }

  generate(input: GenerateInput): Promise<Generated> {
    return generate(this.#ctx, input);
  }

  start(input: StartInput): Promise<Issued> {
    return start(this.#ctx, input);
  }

  resend(input: ResendInput): Promise<Issued> {
    return resend(this.#ctx, input);
  }

  regenerate(input: ResendInput): Promise<Generated> {
    return regenerate(this.#ctx, input);
  }

  verify(input: VerifyInput): Promise<Verified> {
    return verify(this.#ctx, input);
  }

  revoke(context: unknown, options: RevokeOptions = {}): Promise<{ id: string; status: "canceled" }> {
    return revoke(this.#ctx, context, options);
  }

  cancel(id: string, options: CancelOptions = {}): Promise<{ id: string; status: "canceled" }> {
    return cancel(this.#ctx, id, options);
  }

  unlock(input: UnlockInput): Promise<Unlocked> {
    return unlock(this.#ctx, input);
  }

  status(id: string): Promise<VerificationStatus> {
    return status(this.#ctx, id);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#ctx.inFlight]);
  }
}

/** `guard` as given: false for none, a Guard as is, else options for the default one on the store's backend. */
function guardFor(option: OtpOptions["guard"], store: LedgerStore): Guard | undefined {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== "object" || option === null))
    throw new TypeError("otp-actions: guard must be false, guard options or a Guard");
  if (option !== undefined && typeof (option as Guard).check === "function") return option as Guard;
  const options = (option ?? {}) as GuardOptions;
  return createGuard({ ...options, counters: options.counters ?? countersFor(store) });
}

let warnedOfRunTimeKey = false;

/**
 * In production, once per process: a key made by generateKey() at start (`OTP_KEYS ||
 * generateKey()`) differs in every process and after every restart, so contexts sealed by one
 * instance fail on the next.
 */
function warnIfRunTimeKey(keyring: Keyring): void {
  if (process.env.NODE_ENV !== "production" || warnedOfRunTimeKey || !sealsWithRunTimeKey(keyring)) return;
  warnedOfRunTimeKey = true;
  process.emitWarning(
    "otp-actions: the keys were generated at run time: each process and every restart seals with its own key, so a context issued by one is refused by the others. Configure OTP_KEYS (`npx otp-actions keygen` prints one).",
    { code: "OTP_ACTIONS_GENERATED_KEY" },
  );
}

/** In production, one warning for each protection that is missing. */
function warnIfUnprotected(store: LedgerStore, guard: Guard | undefined): void {
  if (process.env.NODE_ENV !== "production") return;
  const gaps: string[] = [];
  if (!guard) gaps.push("guard: false leaves sends and checks without rate limits or lockouts");
  if (store.kind === "memory")
    gaps.push(
      "the memory store keeps the ledger and the limits in this process only: a restart forgets every used code and lockout, and other instances share nothing",
    );
  if (gaps.length > 0)
    process.emitWarning(`otp-actions: unprotected in production: ${gaps.join("; ")}.`, { code: "OTP_ACTIONS_UNPROTECTED" });
}

/** A policy's channel list names only channels the engine has: a misspelt name would refuse every start. */
function refuseUnknownChannels(channels: ReadonlyMap<string, Channel>, policy: ResolvedPolicy, where: string): void {
  for (const name of policy.channels ?? []) {
    if (!channels.has(name)) throw new TypeError(`otp-actions: ${where}: channel '${name}' is not among the channels`);
  }
  const notice = policy.lockoutNotice?.channel;
  if (notice !== undefined && !channels.has(notice))
    throw new TypeError(`otp-actions: ${where.replace(/\.channels$/, "")}: lockoutNotice channel '${notice}' is not among the channels`);
}
