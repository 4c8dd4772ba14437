/** Table names are interpolated into SQL, so they are restricted to plain identifiers. */
export function tableNameOption(kind: string, value: string | undefined, fallback: string): string {
  const name = value ?? fallback;
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new TypeError(`otp-actions: ${kind}Store tableName must match [A-Za-z_][A-Za-z0-9_]{0,62}`);
  }
  return name;
}
