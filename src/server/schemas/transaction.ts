/**
 * The named schema Transaction: the payment a code is bound to, in the start, check and resend
 * bodies (added to the app with the others in schemas.ts). The schema checks the shape; the
 * engine checks the rest (a currency Intl knows, its minor digits, a printable payee) and answers
 * INVALID_REQUEST as the schema would.
 */
import { MAX_PAYEE_CHARS } from "../../core/transaction.js";

export const transaction = {
  $id: "Transaction",
  type: "object",
  description:
    "The payment the code confirms (PSD2 dynamic linking): the message shows the amount and the payee, and the check must name the same transaction. Only its keyed digest is kept. See docs/transactions.md.",
  required: ["amount", "currency", "payee"],
  additionalProperties: false,
  properties: {
    amount: {
      type: "string",
      pattern: "^[0-9]{1,15}(\\.[0-9]{1,3})?$",
      description: 'A decimal string with at most the currency\'s minor digits: "12.50" EUR, "1250" JPY.',
    },
    currency: { type: "string", pattern: "^[A-Za-z]{3}$", description: "An ISO 4217 code such as EUR." },
    payee: {
      type: "string",
      minLength: 1,
      // Characters are code points: one may take two UTF-16 units.
      maxLength: 2 * MAX_PAYEE_CHARS,
      description: `Who is paid, as the user must see it: 1-${MAX_PAYEE_CHARS} printable characters (no control or bidi characters).`,
    },
  },
  examples: [{ amount: "12.50", currency: "EUR", payee: "ACME Books Ltd" }],
} as const;
