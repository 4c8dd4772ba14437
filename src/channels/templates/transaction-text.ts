import type { Transaction } from "../../core/transaction.js";
import { formatAmount } from "../../core/transaction.js";
import { en } from "../locales/en.js";
import type { LocaleStrings, TransactionStrings } from "../locales/index.js";

/**
 * What a payee may not bring into a message: control and format characters (bidi overrides,
 * zero widths), line separators. The engine refuses them at the start; a channel rendering a
 * message it built itself gets them stripped here.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The no-break spaces Intl puts in amounts ("12,50 €"): GSM-7 lacks them, so one would make a text UCS-2. */
const NO_BREAK_SPACES = /[\u00a0\u202f]/g;

/** A transaction's values for the placeholders `{amount}` and `{payee}`, in `locale`. */
export interface TransactionValues {
  /** The amount with its currency, formatted for the locale. */
  amount: string;
  /** The payee, with nothing that could break a line or turn the text around. */
  payee: string;
}

/** The placeholders' values of a transaction; `sms`: plain spaces, so the text stays GSM-7 where it can. */
export function transactionValues(transaction: Transaction, locale: string, sms: boolean): TransactionValues {
  const amount = formatAmount(transaction, locale);
  return {
    amount: sms ? amount.replace(NO_BREAK_SPACES, " ") : amount,
    payee: transaction.payee.replace(UNPRINTABLE, ""),
  };
}

/** The locale's transaction text, else the English one (a language added without it). */
export function transactionStrings(strings: LocaleStrings): TransactionStrings {
  return strings.transaction ?? en.transaction!;
}
