import type { Otp } from "../engine/types.js";

/** The operations of an `Otp` that do work, and so are worth timing or tracing. */
export type OtpOperation = "generate" | "start" | "resend" | "regenerate" | "verify" | "revoke";

/**
 * Runs `run` (the real operation) and returns what it returns or throws what it throws; `input`
 * is the caller's argument, for attributes. Called once per operation. A `traceId` given to `run`
 * is the operation's, unless the caller named one.
 */
export type Around = <T>(operation: OtpOperation, input: unknown, run: (traceId?: string) => Promise<T>) => Promise<T>;

/** The caller's input, with `traceId` when it has none of its own. */
function traced<T extends { traceId?: string } | undefined>(input: T, traceId: string | undefined): T {
  return traceId === undefined || typeof input !== "object" || input === null || input.traceId !== undefined
    ? input
    : { ...input, traceId };
}

/** An `Otp` whose operations go through `around`; everything else is the wrapped engine's. */
export function wrapOperations(otp: Otp, around: Around): Otp {
  return {
    generate: (input) => around("generate", input, (traceId) => otp.generate(traced(input, traceId))),
    start: (input) => around("start", input, (traceId) => otp.start(traced(input, traceId))),
    resend: (input) => around("resend", input, (traceId) => otp.resend(traced(input, traceId))),
    regenerate: (input) => around("regenerate", input, (traceId) => otp.regenerate(traced(input, traceId))),
    verify: (input) => around("verify", input, (traceId) => otp.verify(traced(input, traceId))),
    revoke: (context, options) => around("revoke", context, (traceId) => otp.revoke(context, traced(options ?? {}, traceId))),
    // A read that changes nothing, and an operator's rare actions: passed through, not timed.
    status: (id) => otp.status(id),
    cancel: (id, options) => otp.cancel(id, options),
    unlock: (input) => otp.unlock(input),
    on: (type, listener) => otp.on(type, listener),
    normalizeIdentifier: (identifier, kind) => otp.normalizeIdentifier(identifier, kind),
    close: () => otp.close(),
    get keyring() {
      return otp.keyring;
    },
    get store() {
      return otp.store;
    },
    get channels() {
      return otp.channels;
    },
    // Passed through untimed: TOTP operations are not among the timed operations yet.
    get totp() {
      return otp.totp;
    },
  };
}
