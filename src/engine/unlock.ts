import { maskIdentifier, normalizeIdentifier } from "../core/identifiers.js";
import { OtpError } from "../core/errors.js";
import { MAX_PURPOSE_CHARS, NAME_PATTERN } from "../core/limits.js";
import { deadline, traceIdOf, type EngineContext } from "./context.js";
import { emit, lazyScope } from "./event-bus.js";
import { actorOf } from "./actor.js";
import type { UnlockInput, Unlocked } from "./types.js";

const NAME = new RegExp(NAME_PATTERN);
/** A keyring identifier hash: 16 bytes in base64url. */
const IDENTIFIER_HASH = /^[A-Za-z0-9_-]{22}$/;

/**
 * Lifts the lockouts of an identifier + purpose (across IPs, and of its pairs with every IP) and
 * ends its runs of failures, so the user can check a new code at once. An identifier is
 * normalised as every operation does and hashed under every configured key, so lockouts counted
 * before a key rotation are lifted too. Tells `unlocked` to listeners (the audit log).
 */
export async function unlock(ctx: EngineContext, input: UnlockInput): Promise<Unlocked> {
  if (typeof input !== "object" || input === null) throw new OtpError("MISSING_FIELDS", { message: "unlock needs an input object." });
  const { purpose, identifier, identifierHash } = input;
  if (typeof purpose !== "string" || !NAME.test(purpose))
    throw new OtpError("INVALID_REQUEST", { message: `purpose must be 1-${MAX_PURPOSE_CHARS} characters of [A-Za-z0-9_.:-].` });
  if ((identifier === undefined) === (identifierHash === undefined))
    throw new OtpError("INVALID_REQUEST", { message: "Name the user by exactly one of identifier and identifierHash." });
  const traceId = traceIdOf(input.traceId);
  const actor = actorOf(input.actor);
  let hashes: string[];
  let masked: string | undefined;
  if (identifier !== undefined) {
    if (typeof identifier !== "string" || identifier === "")
      throw new OtpError("MISSING_FIELDS", { message: "identifier must be a non-empty string." });
    const value = normalizedValue(ctx, identifier, input.identifierKind);
    hashes = ctx.keyring.identifierHashes(value);
    masked = maskIdentifier(value);
  } else {
    if (typeof identifierHash !== "string" || !IDENTIFIER_HASH.test(identifierHash))
      throw new OtpError("INVALID_REQUEST", { message: "identifierHash must be an identifier hash (22 base64url characters)." });
    hashes = [identifierHash];
  }
  const guard = ctx.guard;
  const lifted = guard?.unlock !== undefined;
  if (guard?.unlock) {
    const deadlineMs = deadline(ctx);
    try {
      for (const hash of hashes) await guard.unlock({ identifierHash: hash, purpose, nowMs: ctx.clock.now(), deadlineMs });
    } catch (error) {
      throw error instanceof OtpError ? error : new OtpError("STORE_UNAVAILABLE", { cause: error });
    }
  }
  emit(
    ctx,
    "unlocked",
    lazyScope(() => ({ purpose, identifierHash: hashes[0], identifier: masked, traceId, actor })),
  );
  return { purpose, identifierHash: hashes[0]!, lifted };
}

/** The identifier as every operation normalises it (`defaultCountry` included): what limits are keyed by. */
function normalizedValue(ctx: EngineContext, identifier: string, kind: UnlockInput["identifierKind"]): string {
  const defaultCountry = ctx.defaultCountry;
  return normalizeIdentifier(identifier, { ...(kind !== undefined && { kind }), ...(defaultCountry !== undefined && { defaultCountry }) })
    .value;
}
