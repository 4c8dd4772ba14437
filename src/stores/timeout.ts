/**
 * A bound on one store round trip. The engine has its own bound too; this one keeps a store used
 * on its own (health checks, the audit log, a CLI migrate) from waiting forever on a dead socket.
 */
export class StoreTimeoutError extends Error {
  override readonly name = "StoreTimeoutError";
  constructor(kind: string, timeoutMs: number) {
    super(`${kind} store did not answer within ${timeoutMs} ms`);
  }
}

/**
 * Given a function rather than a promise, starts the bound before the operation: a driver timer of
 * the same length that the operation sets then fires after it (timers of one length run in order).
 */
export async function withTimeout<T>(operation: Promise<T> | (() => Promise<T>), timeoutMs: number, kind: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(kind, timeoutMs)), timeoutMs);
    });
    return await Promise.race([typeof operation === "function" ? operation() : operation, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Validates a `timeoutMs` option: misuse is a TypeError at construction, like every option. */
export function timeoutOption(kind: string, value: number | undefined, fallback = 1000): number {
  const timeoutMs = value ?? fallback;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new TypeError(`otp-actions: ${kind}Store timeoutMs must be an integer from 1 to 60000`);
  }
  return timeoutMs;
}

/** Table names are interpolated into SQL, so they are restricted to plain identifiers. */
export function tableNameOption(kind: string, value: string | undefined, fallback: string): string {
  const name = value ?? fallback;
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new TypeError(`otp-actions: ${kind}Store tableName must match [A-Za-z_][A-Za-z0-9_]{0,62}`);
  }
  return name;
}
