/**
 * Where a refused number comes from, read off the masked form alone (the audit log keeps no
 * number): its visible prefix, `+1415` of `+1415*****23`, and the country that prefix belongs to.
 */
import { AsYouType, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

/** The visible prefix of a masked phone number (`+` and the digits before the first `*`); null for anything else. */
export function phonePrefixOf(masked: string | null): string | null {
  if (masked === null || !masked.startsWith("+")) return null;
  const star = masked.indexOf("*");
  return star === -1 ? masked : masked.slice(0, star);
}

function paddedCountry(prefix: string): CountryCode | undefined {
  const typed = new AsYouType();
  typed.input(`${prefix}5550123`);
  return typed.getCountry() ?? parsePhoneNumberFromString(`${prefix}5550123`)?.getPossibleCountries()[0];
}

const countries = new Map<string, string | null>();

/**
 * The ISO country of a prefix. `+1415` alone is any of the +1 countries, so the prefix is read
 * as the start of a number (the area code decides: 415 is the US, 416 Canada); a prefix shared
 * by several countries (+44 with Guernsey, Jersey) counts for the first, the main one.
 */
export function countryOfPhonePrefix(prefix: string): string | null {
  let country = countries.get(prefix);
  if (country !== undefined) return country;
  country = null;
  if (/^\+[0-9]{1,6}$/.test(prefix)) {
    const alone = new AsYouType();
    alone.input(prefix);
    const callingCode = alone.getCallingCode();
    // A prefix shorter than its calling code (`+9`) names no country; one that is exactly a
    // calling code shared by several (`+1`) names none either.
    if (callingCode !== undefined)
      country = alone.getCountry() ?? (prefix.length > callingCode.length + 1 ? paddedCountry(prefix) : undefined) ?? null;
  }
  // Bounded: prefixes are `+` and at most six digits, but a log can hold any text.
  if (countries.size < 10_000) countries.set(prefix, country);
  return country;
}
