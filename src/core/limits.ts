/** Size limits, checked before any decoding or cryptography (invariant 7). */

/** A context longer than this is PAYLOAD_TOO_LARGE, refused before it is opened. */
export const MAX_CONTEXT_CHARS = 10 * 1024;
/** Metadata larger than this (serialised as JSON, in bytes) is PAYLOAD_TOO_LARGE. */
export const MAX_METADATA_BYTES = 5 * 1024;
export const MIN_CODE_LENGTH = 6;
export const MAX_CODE_LENGTH = 10;
/** NIST SP 800-63B-4 bounds consecutive failed attempts at 100. */
export const MAX_ATTEMPTS_BOUND = 100;
export const MAX_PURPOSE_CHARS = 64;
/** A purpose or channel name: what the engine accepts and the service's schemas declare. */
export const NAME_PATTERN = `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,${MAX_PURPOSE_CHARS - 1}}$`;
/** A message locale: a BCP 47 language tag, as a start or resend gives it and a purpose's default. */
export const LOCALE_PATTERN = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$";
/** A trace or request id for events: visible ASCII, as W3C trace ids and request ids are. */
export const MAX_TRACE_ID_CHARS = 128;
export const TRACE_ID_PATTERN = `^[\\x21-\\x7e]{1,${MAX_TRACE_ID_CHARS}}$`;
/** Request bodies the service accepts, unless OTP_BODY_LIMIT_BYTES says otherwise. */
export const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024;
