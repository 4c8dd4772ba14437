import { createHmac, type KeyObject } from "node:crypto";
import { OtpError } from "./errors.js";

/**
 * A payment a code is bound to (PSD2 dynamic linking): the user sees the amount and the payee in
 * the message, and the check must name the very same ones.
 *
 * Canonical form: the currency in upper case (ISO 4217, one Intl knows), the amount with exactly
 * the currency's minor digits and no leading zeros ("12.5" EUR → "12.50", "0500" JPY → "500"),
 * the payee in Unicode NFC. The digest is taken over `tx1`, currency, amount and payee joined
 * by U+001F, which none of them can contain.
 */
export interface Transaction {
  /** A non-negative decimal string with at most the currency's minor digits: "12.50", "1000". */
  amount: string;
  /** An ISO 4217 code: "EUR", "USD", "JPY". */
  currency: string;
  /** Who is paid, as the user must see it: 1-140 printable characters. */
  payee: string;
}

/** The longest payee accepted, in characters (code points). */
export const MAX_PAYEE_CHARS = 140;
/** Whole digits an amount may have: more than any real payment, few enough to format exactly. */
const MAX_AMOUNT_DIGITS = 15;
const CURRENCY = /^[A-Za-z]{3}$/;
const AMOUNT = /^(\d+)(?:\.(\d+))?$/;
/**
 * What a payee may not hold: control and format characters (bidi overrides and isolates, zero
 * widths), line and paragraph separators, unassigned code points and lone surrogates. They could
 * break an SMS into lines or show the user another name than the one bound.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cn}\p{Cs}]/u;
const TRANSACTION_KEYS = new Set(["amount", "currency", "payee"]);
const DIGEST_BYTES = 16;

let currencies: ReadonlySet<string> | undefined;

/** The ISO 4217 codes this runtime knows (Intl's list), read once. */
function knownCurrencies(): ReadonlySet<string> {
  currencies ??= new Set(Intl.supportedValuesOf("currency"));
  return currencies;
}

// Building an Intl.NumberFormat costs more than the rest of a check: each currency's digits are read once.
const digitsByCurrency = new Map<string, number>();

/** The currency's minor digits, as Intl formats it (2 for EUR, 0 for JPY, 3 for BHD). */
export function minorDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/**
 * A transaction as a caller gave it, checked and in canonical form. Anything else is
 * INVALID_REQUEST naming the field; nothing of the value is echoed.
 */
export function canonicalTransaction(value: unknown): Transaction {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("transaction must be an object with amount, currency and payee.");
  for (const key of Object.keys(value)) if (!TRANSACTION_KEYS.has(key)) throw invalid("transaction takes amount, currency and payee only.");
  const { amount, currency, payee } = value as Record<string, unknown>;
  if (typeof currency !== "string" || !CURRENCY.test(currency) || !knownCurrencies().has(currency.toUpperCase()))
    throw invalid("transaction.currency must be an ISO 4217 currency code such as EUR.");
  const code = currency.toUpperCase();
  return { amount: canonicalAmount(amount, code), currency: code, payee: canonicalPayee(payee) };
}

function canonicalAmount(amount: unknown, currency: string): string {
  const digits = minorDigits(currency);
  const match = typeof amount === "string" ? AMOUNT.exec(amount) : null;
  const whole = match?.[1]?.replace(/^0+(?=\d)/, "");
  const fraction = match?.[2] ?? "";
  if (!match || whole === undefined || whole.length > MAX_AMOUNT_DIGITS || fraction.length > digits) {
    throw invalid(
      `transaction.amount must be a decimal string with at most ${digits} decimal${digits === 1 ? "" : "s"} for ${currency}, such as "${digits === 0 ? "1250" : `12.${"5".padEnd(digits, "0")}`}".`,
    );
  }
  return digits === 0 ? whole : `${whole}.${fraction.padEnd(digits, "0")}`;
}

function canonicalPayee(payee: unknown): string {
  if (typeof payee !== "string") throw invalid(`transaction.payee must be 1-${MAX_PAYEE_CHARS} printable characters.`);
  const normalized = payee.normalize("NFC");
  const chars = [...normalized].length;
  if (chars === 0 || chars > MAX_PAYEE_CHARS || normalized.trim() === "" || UNPRINTABLE.test(normalized))
    throw invalid(`transaction.payee must be 1-${MAX_PAYEE_CHARS} printable characters.`);
  return normalized;
}

/**
 * The keyed digest a token, an event and an audit row carry instead of the transaction:
 * HMAC-SHA256 of the canonical form, 128 bits, base64url. Without the key it reveals nothing of a
 * low-entropy amount and payee.
 */
export function transactionDigest(macKey: KeyObject, transaction: Transaction): string {
  return createHmac("sha256", macKey)
    .update(["tx1", transaction.currency, transaction.amount, transaction.payee].join("\u001f"))
    .digest()
    .subarray(0, DIGEST_BYTES)
    .toString("base64url");
}

/** The amount as the user reads it in `locale`: "€12.50" in English, "12,50 €" in German. */
export function formatAmount(transaction: Transaction, locale: string): string {
  // A decimal string is formatted exactly (no float rounding of large amounts).
  return new Intl.NumberFormat(locale, { style: "currency", currency: transaction.currency }).format(
    transaction.amount as unknown as number,
  );
}

function invalid(message: string): OtpError {
  return new OtpError("INVALID_REQUEST", { message });
}
