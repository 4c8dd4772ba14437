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
  smsCountries: readonly CountryCode[] | undefined;
  smsNumberTypes: { sms?: readonly PhoneNumberType[]; voice?: readonly PhoneNumberType[] } | undefined;
}

/**
 * SMS pumping defences that need no counter: where a number is (country allow-list) and what it
 * is (premium-rate, shared-cost and other non-mobile types never get a code). They apply to every
 * delivery to a phone number, whatever the channel is called. Refusals happen before anything is
 * counted or delivered.
 */
export class SmsPolicy {
  readonly #countries: ReadonlySet<string> | undefined;
  readonly #types: { sms: ReadonlySet<string>; voice: ReadonlySet<string> };

  constructor(settings: SmsPolicySettings) {
    this.#countries = settings.smsCountries === undefined ? undefined : new Set(settings.smsCountries.map((code) => code.toUpperCase()));
    const types = settings.smsNumberTypes;
    if (types !== undefined && (typeof types !== "object" || types === null))
      throw new TypeError("otp-actions: guard smsNumberTypes must be { sms?, voice? }");
    for (const key of Object.keys(types ?? {})) {
      if (key !== "sms" && key !== "voice")
        throw new TypeError(`otp-actions: guard smsNumberTypes has no medium '${key.slice(0, 40)}' (sms or voice)`);
    }
    this.#types = {
      sms: numberTypes("sms", types?.sms ?? DEFAULT_SMS_NUMBER_TYPES),
      voice: numberTypes("voice", types?.voice ?? DEFAULT_VOICE_NUMBER_TYPES),
    };
  }

  get hasCountryList(): boolean {
    return this.#countries !== undefined;
  }

  /** Throws INVALID_IDENTIFIER when `e164` must not receive a code by `medium`. */
  assertDeliverable(e164: string, medium: "sms" | "voice"): void {
    const phone = parsePhoneNumberFromString(e164);
    if (!phone) throw new OtpError("INVALID_IDENTIFIER", { message: "The identifier is not a valid phone number." });
    // Non-geographic numbers (+800, +882…) have no country and so are never on an allow-list.
    if (this.#countries && (phone.country === undefined || !this.#countries.has(phone.country))) {
      throw new OtpError("INVALID_IDENTIFIER", { message: "Codes cannot be sent to phone numbers in this country." });
    }
    const type = phone.getType();
    if (type === undefined || !this.#types[medium].has(type)) {
      throw new OtpError("INVALID_IDENTIFIER", { message: "Codes cannot be sent to this kind of phone number." });
    }
  }
}

function numberTypes(medium: string, types: unknown): ReadonlySet<string> {
  if (!Array.isArray(types) || types.some((type) => !NUMBER_TYPES.has(type))) {
    throw new TypeError(`otp-actions: guard smsNumberTypes.${medium} must be a list of libphonenumber-js number types`);
  }
  return new Set(types as string[]);
}

/** The number with its last `suffixDigits` digits dropped: numbers in one block share it. */
export function numberPrefix(e164: string, suffixDigits: number): string {
  return e164.slice(0, Math.max(e164.length - suffixDigits, 2));
}
