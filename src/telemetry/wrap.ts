import type { Otp } from "../otp.js";

/** The operations of an `Otp` that do work, and so are worth timing or tracing. */
export type OtpOperation = "generate" | "start" | "resend" | "regenerate" | "verify" | "revoke";

/**
 * Runs `run` (the real operation) and returns what it returns or throws what it throws; `input`
 * is the caller's argument, for attributes. Called once per operation.
 */
export type Around = <T>(operation: OtpOperation, input: unknown, run: () => Promise<T>) => Promise<T>;

/** An `Otp` whose operations go through `around`; everything else is the wrapped engine's. */
export function wrapOperations(otp: Otp, around: Around): Otp {
  return {
    generate: (input) => around("generate", input, () => otp.generate(input)),
    start: (input) => around("start", input, () => otp.start(input)),
    resend: (input) => around("resend", input, () => otp.resend(input)),
    regenerate: (input) => around("regenerate", input, () => otp.regenerate(input)),
    verify: (input) => around("verify", input, () => otp.verify(input)),
    revoke: (context, options) => around("revoke", context, () => otp.revoke(context, options)),
    on: (type, listener) => otp.on(type, listener),
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
  };
}
