/** The purposes the built-in texts are written for; any other purpose uses "generic". */
export const PURPOSE_KINDS = [
  "generic",
  "login",
  "signup",
  "password_reset",
  "change_email",
  "change_phone",
  "payment",
  "two_factor",
] as const;

/** One of `PURPOSE_KINDS`. */
export type PurposeKind = (typeof PURPOSE_KINDS)[number];

/** Text for one purpose in one language. Placeholders: `{code}`, `{minutes}`, `{appName}`. */
export interface KindStrings {
  /** Email subject. Without the code: subjects show on lock screens and in mailbox lists. */
  subject: string;
  /** First paragraph of the email. */
  lead: string;
  /** The whole SMS; kept to one segment (160 GSM-7 characters, or 70 otherwise) where possible. */
  sms: string;
}

/** One language: a text per purpose kind (generic required) and the sentences every email shares. */
export interface LocaleStrings {
  /** Text per purpose kind; `generic` is required, the others fall back to it. */
  kinds: {
    /** The text of every purpose without one of its own. */
    generic: KindStrings;
  } & Partial<Record<PurposeKind, KindStrings>>;
  /** Introduces the code in the email body, e.g. "Your code:". */
  codeLabel: string;
  /** Expiry sentence per plural category (Intl.PluralRules); `other` is required. */
  expires: {
    /** The sentence for any count without one of its own. */
    other: string;
  } & Partial<Record<Intl.LDMLPluralRule, string>>;
  /** Closing line telling the reader what to do if they did not ask for the code. */
  ignore: string;
  /**
   * For a code bound to a transaction; placeholders `{amount}` (formatted for the locale) and
   * `{payee}` besides the others. A language without it uses the English text.
   */
  transaction?: TransactionStrings;
  /**
   * The notice a lockout sends (no code in it); placeholders `{appName}` and `{purpose}`. A
   * language without it uses the English text.
   */
  lockout?: LockoutStrings;
}

/** The notice that failed checks locked an identifier's codes: it must say what to do, never carry a code. */
export interface LockoutStrings {
  /** The email subject. */
  subject: string;
  /** The email body. */
  text: string;
  /** The whole SMS. */
  sms: string;
}

/** The text of a code bound to a transaction: the user must see the amount and the payee. */
export interface TransactionStrings {
  /** A paragraph of the email, after the lead, naming the amount and the payee. */
  lead: string;
  /** The whole SMS, in place of the purpose's. */
  sms: string;
}
