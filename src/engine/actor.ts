import { OtpError } from "../core/errors.js";
import { MAX_TRACE_ID_CHARS, TRACE_ID_PATTERN } from "../core/limits.js";

const ACTOR = new RegExp(TRACE_ID_PATTERN);

/**
 * Who took an operator's action (an API key's id, a console user), checked like a trace id: it
 * lands in events and audit rows, so it is short visible ASCII, never free text.
 */
export function actorOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !ACTOR.test(value))
    throw new OtpError("INVALID_REQUEST", { message: `actor must be 1-${MAX_TRACE_ID_CHARS} visible ASCII characters.` });
  return value;
}
