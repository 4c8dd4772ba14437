/**
 * The values of the placeholders `{code}`, `{minutes}`, `{appName}` and `{purpose}`, and for a
 * code bound to a transaction `{amount}` and `{payee}` (empty otherwise).
 */
export interface Values {
  code: string;
  minutes: string;
  appName: string;
  purpose: string;
  amount?: string;
  payee?: string;
}

/** A template with its placeholders replaced, each value passed through `encode` (none by default). */
export function fill(template: string, values: Values, encode: (value: string) => string = (value) => value): string {
  // One pass: a value that itself reads "{code}" (a payee, say) is never filled in again.
  return template.replace(/\{(code|minutes|appName|purpose|amount|payee)\}/g, (_, name: keyof Values) => encode(values[name] ?? ""));
}
