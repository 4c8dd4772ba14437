/** The values of the placeholders `{code}`, `{minutes}`, `{appName}` and `{purpose}`. */
export interface Values {
  code: string;
  minutes: string;
  appName: string;
  purpose: string;
}

/** A template with its placeholders replaced, each value passed through `encode` (none by default). */
export function fill(template: string, values: Values, encode: (value: string) => string = (value) => value): string {
  return template.replace(/\{(code|minutes|appName|purpose)\}/g, (_, name: keyof Values) => encode(values[name]));
}
