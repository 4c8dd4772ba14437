/**
 * Refuses a key an options object does not have: a misspelt limit (`maxAttempt: 1`) would
 * otherwise leave the default in force without a word.
 */
export function refuseUnknownKeys(value: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new TypeError(`otp-actions: ${where} has no option '${key.slice(0, 40)}'`);
  }
}
