/** `otp.totp`: authenticator-app factors, each operation a function of the engine's context. */
import type { EngineContext } from "../context.js";
import { confirm, verify } from "./check-code.js";
import { enrol } from "./enrol.js";
import { recoveryCodes, useRecoveryCode } from "./recovery.js";
import type { Totp } from "./types.js";

/** The TOTP operations bound to one engine's keys, store, guard and events. */
export function totpOf(ctx: EngineContext): Totp {
  return {
    enrol: (input) => enrol(ctx, input),
    confirm: (input) => confirm(ctx, input),
    verify: (input) => verify(ctx, input),
    recoveryCodes: (input) => recoveryCodes(ctx, input),
    useRecoveryCode: (input) => useRecoveryCode(ctx, input),
  };
}
