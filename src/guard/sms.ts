import { parsePhoneNumberFromString, type CountryCode, type PhoneNumberType } from "libphonenumber-js/max";
import { OtpError } from "../core/errors.js";
import { DEFAULT_SMS_NUMBER_TYPES, DEFAULT_VOICE_NUMBER_TYPES } from "./options.js";

const NUMBER_TYPES: ReadonlySet<string> = new Set<PhoneNumberType>([
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
  "FIXED_LINE_OR_MOBILE",
  "FIXED_LINE",
  "MOBILE",
]);

export interface SmsPolicySettings {
  smsChannels: readonly string[];
  smsCountries: readonly CountryCode[] | undefined;
  smsNumberTypes: Record<string, readonly PhoneNumberType[]> | undefined;
}

/**
 * SMS pumping defences that need no counter: where a number is (country allow-list) and what it
 * is (premium-rate, shared-cost and other non-mobile types never get a code). Refusals happen
 * before anything is counted or delivered.
 */
export class SmsPolicy {
  readonly #channels: ReadonlySet<string>;
  readonly #countries: ReadonlySet<string> | undefined;
  readonly #types: Map<string, ReadonlySet<string>>;

  constructor(settings: SmsPolicySettings) {
    this.#channels = new Set(settings.smsChannels);
    this.#countries = settings.smsCountries === undefined ? undefined : new Set(settings.smsCountries.map((code) => code.toUpperCase()));
    this.#types = new Map();
    for (const channel of settings.smsChannels) {
      const types = settings.smsNumberTypes?.[channel] ?? (channel === "voice" ? DEFAULT_VOICE_NUMBER_TYPES : DEFAULT_SMS_NUMBER_TYPES);
      if (!Array.isArray(types) || types.some((type) => !NUMBER_TYPES.has(type))) {
        throw new TypeError(`otp-actions: guard smsNumberTypes.${channel} must be a list of libphonenumber-js number types`);
      }
      this.#types.set(channel, new Set(types));
    }
  }

  isSmsChannel(channel: string): boolean {
    return this.#channels.has(channel);
  }

  get hasCountryList(): boolean {
    return this.#countries !== undefined;
  }

  /** Throws INVALID_IDENTIFIER when `e164` must not receive a code on `channel`. */
  assertDeliverable(e164: string, channel: string): void {
    if (!this.#channels.has(channel)) return;
    const phone = parsePhoneNumberFromString(e164);
    if (!phone) throw new OtpError("INVALID_IDENTIFIER", { message: "The identifier is not a valid phone number." });
    // Non-geographic numbers (+800, +882…) have no country and so are never on an allow-list.
    if (this.#countries && (phone.country === undefined || !this.#countries.has(phone.country))) {
      throw new OtpError("INVALID_IDENTIFIER", { message: "Codes cannot be sent to phone numbers in this country." });
    }
    const type = phone.getType();
    if (type === undefined || !this.#types.get(channel)!.has(type)) {
      throw new OtpError("INVALID_IDENTIFIER", { message: "Codes cannot be sent to this kind of phone number." });
    }
  }
}

/** The number with its last `suffixDigits` digits dropped: numbers in one block share it. */
export function numberPrefix(e164: string, suffixDigits: number): string {
  return e164.slice(0, Math.max(e164.length - suffixDigits, 2));
}
