import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { OtpError } from "./errors.js";

/** What an identifier is: an email address or a phone number. */
export type IdentifierKind = "email" | "phone";

/** An identifier in the form tokens, limits and audit rows key on. */
export interface NormalizedIdentifier {
  /** Email address or phone number. */
  kind: IdentifierKind;
  /** Lower-cased email, or E.164 phone number. */
  value: string;
}

/** How `normalizeIdentifier` reads a value. */
export interface NormalizeOptions {
  /** The kind the channel needs; inferred from the value when absent. */
  kind?: IdentifierKind;
  /** ISO 3166 country for national phone numbers such as "(415) 555-0123". */
  defaultCountry?: CountryCode;
}

// RFC 5321's limits, in octets of UTF-8 (RFC 6531): the token stores the address in 255 bytes.
const MAX_EMAIL_BYTES = 254;
const MAX_LOCAL_PART_BYTES = 64;
const MAX_INPUT_CHARS = 320;
// Pragmatic, not RFC 5322: one @, a local part without spaces or quoting, a dotted domain of
// LDH labels. Addresses outside this are rare and often abused.
const EMAIL = /^[^\s@"(),:;<>[\]\\]{1,64}@(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Control, format (zero-width), private-use, unassigned and lone surrogate code points: invisible
// or unencodable, they would make one address look like several identities.
const INVISIBLE = /\p{C}/u;

/**
 * Trims and normalises an identifier so that every spelling of one address or number is one
 * identity: `" User@Example.com "` → `"user@example.com"`, `"+1 (415) 555-0123"` → `"+14155550123"`.
 */
export function normalizeIdentifier(raw: unknown, options: NormalizeOptions = {}): NormalizedIdentifier {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_INPUT_CHARS) throw invalidIdentifier();
  const trimmed = raw.trim();
  const kind = options.kind ?? guessKind(trimmed);
  return kind === "email" ? normalizeEmail(trimmed) : normalizePhone(trimmed, options.defaultCountry);
}

/**
 * The kind an identifier was meant as, when no channel says: an address has an "@", a number
 * starts with "+", "(" or a digit. Anything else ("nope", "jane.doe") was typed for an address,
 * so its refusal speaks of an email address rather than of a phone number.
 */
function guessKind(value: string): IdentifierKind {
  if (value.includes("@")) return "email";
  return /^[+(\d]/.test(value) ? "phone" : "email";
}

function normalizeEmail(value: string): NormalizedIdentifier {
  // One composition form (RFC 6532 asks for NFC), so "é" typed as one character or as "e" and a
  // combining accent is one identity, with one set of limits.
  const lower = value.toLowerCase().normalize("NFC");
  if (!fitsEmailLimits(lower) || INVISIBLE.test(lower) || !EMAIL.test(lower))
    throw invalidIdentifier("The identifier is not a valid email address.");
  return { kind: "email", value: lower };
}

function fitsEmailLimits(address: string): boolean {
  return (
    Buffer.byteLength(address, "utf8") <= MAX_EMAIL_BYTES &&
    Buffer.byteLength(address.slice(0, address.lastIndexOf("@")), "utf8") <= MAX_LOCAL_PART_BYTES
  );
}

function normalizePhone(value: string, defaultCountry: CountryCode | undefined): NormalizedIdentifier {
  // Letters are never part of a number we deliver to; libphonenumber would read them as keypad digits.
  if (/[a-z]/i.test(value.replace(/\b(?:ext|x)\.?\s*\d+$/i, ""))) throw invalidIdentifier("The identifier is not a valid phone number.");
  const phone = parsePhoneNumberFromString(value, defaultCountry ? { defaultCountry } : undefined);
  if (!phone?.isValid() || phone.ext) throw invalidIdentifier("The identifier is not a valid phone number.");
  return { kind: "phone", value: phone.number };
}

function invalidIdentifier(message?: string): OtpError {
  return new OtpError("INVALID_IDENTIFIER", message ? { message } : {});
}

/** The kind of an identifier that normalizeIdentifier already returned (a token's, say). */
export function kindOfNormalized(value: string): IdentifierKind {
  return value.includes("@") ? "email" : "phone";
}

/** A display form that identifies without revealing: `u***@example.com`, `+1415*****23`. */
export function maskIdentifier(value: string): string {
  const at = value.lastIndexOf("@");
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  if (value.length <= 7) return `${value.slice(0, 2)}${"*".repeat(Math.max(value.length - 2, 0))}`;
  return `${value.slice(0, 5)}${"*".repeat(value.length - 7)}${value.slice(-2)}`;
}
