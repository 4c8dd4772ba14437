/**
 * A bound on one store round trip. The engine has its own bound too; this one keeps a store used
 * on its own (health checks, the audit log, a CLI migrate) from waiting forever on a dead socket.
 */
export class StoreTimeoutError extends Error {
  /** Always `StoreTimeoutError`. */
  override readonly name = "StoreTimeoutError";
  constructor(kind: string, timeoutMs: number, message = `${kind} store did not answer within ${timeoutMs} ms`) {
    super(message);
  }
}

/**
 * Given a function rather than a promise, starts the bound before the operation: a driver timer of
 * the same length that the operation sets then fires after it (timers of one length run in order).
 * When the bound passes, `timedOut` (by default a StoreTimeoutError for `kind`) gives the error
 * rejected with; it may also stop the operation, such as by aborting its signal.
 */
export async function withTimeout<T>(
  operation: Promise<T> | (() => Promise<T>),
  timeoutMs: number,
  kind: string,
  timedOut: () => Error = () => new StoreTimeoutError(kind, timeoutMs),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), timeoutMs);
    });
    return await Promise.race([typeof operation === "function" ? operation() : operation, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Allowance for the clocks of the application servers and a database server to disagree
 * (Redis's `TIME`, Postgres's `clock_timestamp()`), which compare the caller's deadline with their
 * own clock. A store waits this long past the deadline for the server's answer, so an operation
 * the server applied just before the deadline by its own clock still reaches the caller as done.
 */
export const DEFAULT_CLOCK_SKEW_MS = 250;

/** The error for a call whose deadline passed before it could be applied: nothing changed. */
export function deadlinePassed(kind: string): StoreTimeoutError {
  return new StoreTimeoutError(kind, 0, `${kind} store: the call's deadline passed; nothing was applied`);
}

/**
 * The call's deadline: the caller's, or `timeoutMs` from now. Rejects at once (nothing sent,
 * nothing applied) when the caller's has already passed or is not a finite number.
 */
export function deadlineOf(kind: string, options: { deadlineMs?: number } | undefined, timeoutMs: number): number {
  const deadlineMs = options?.deadlineMs;
  if (deadlineMs === undefined) return Date.now() + timeoutMs;
  if (typeof deadlineMs !== "number" || !Number.isFinite(deadlineMs) || deadlineMs <= Date.now()) throw deadlinePassed(kind);
  return deadlineMs;
}
