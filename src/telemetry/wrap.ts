import type { Otp } from "../engine/types.js";

/**
 * The operations of an `Otp` that do work, and so are worth timing or tracing: the span names
 * (`otp.<operation>`) and the duration metric's `operation` label. `status`, a read that changes
 * nothing, is not among them.
 */
export const OTP_OPERATIONS = [
  "generate",
  "start",
  "resend",
  "regenerate",
  "verify",
  "revoke",
  "cancel",
  "unlock",
  "totp.enrol",
  "totp.confirm",
  "totp.verify",
  "totp.recoveryCodes",
  "totp.useRecoveryCode",
] as const;

/** One of `OTP_OPERATIONS`. */
export type OtpOperation = (typeof OTP_OPERATIONS)[number];

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
  const totp = wrapTotp(otp.totp, around);
  return {
    generate: (input) => around("generate", input, (traceId) => otp.generate(traced(input, traceId))),
    start: (input) => around("start", input, (traceId) => otp.start(traced(input, traceId))),
    resend: (input) => around("resend", input, (traceId) => otp.resend(traced(input, traceId))),
    regenerate: (input) => around("regenerate", input, (traceId) => otp.regenerate(traced(input, traceId))),
    verify: (input) => around("verify", input, (traceId) => otp.verify(traced(input, traceId))),
    revoke: (context, options) => around("revoke", context, (traceId) => otp.revoke(context, traced(options ?? {}, traceId))),
    cancel: (id, options) => around("cancel", id, (traceId) => otp.cancel(id, traced(options ?? {}, traceId))),
    unlock: (input) => around("unlock", input, (traceId) => otp.unlock(traced(input, traceId))),
    // A read that changes nothing: passed through, not timed.
    status: (id) => otp.status(id),
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
    totp,
  };
}

/** The factor operations through `around`, as `totp.<operation>`. */
function wrapTotp(totp: Otp["totp"], around: Around): Otp["totp"] {
  return {
    enrol: (input) => around("totp.enrol", input, (traceId) => totp.enrol(traced(input, traceId))),
    confirm: (input) => around("totp.confirm", input, (traceId) => totp.confirm(traced(input, traceId))),
    verify: (input) => around("totp.verify", input, (traceId) => totp.verify(traced(input, traceId))),
    recoveryCodes: (input) => around("totp.recoveryCodes", input, (traceId) => totp.recoveryCodes(traced(input, traceId))),
    useRecoveryCode: (input) => around("totp.useRecoveryCode", input, (traceId) => totp.useRecoveryCode(traced(input, traceId))),
  };
}
