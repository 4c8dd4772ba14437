import { ipLimitKey } from "../core/client-ip.js";
import { GENERATION_MARK } from "./counters/generation.js";

/**
 * The counter keys the guard counts on. A subject is identifier + purpose; an IP key is the
 * client's address as limits see it. The formats are stored in every backend: changing one
 * forgets the counts kept under the old one.
 */

/** The counter keys of a check without an IP share one bucket: such checks still lock quickly. */
export const NO_IP = "none";

/**
 * Identifier + purpose: what failures and sends are counted for. The keyed hash's first 128 bits
 * are plenty to tell identifiers apart, and shorter keys cost less to hash and store.
 */
export function subjectOf(purpose: string, identifierHash: string): string {
  return `${purpose}:${identifierHash.slice(0, 22)}`;
}

export function ipKeyOf(client: { ip?: string } | undefined): string {
  const ip = client?.ip;
  return typeof ip === "string" && ip !== "" ? ipLimitKey(ip) : NO_IP;
}

/** The subject's lockout, from every IP. */
export const subjectLockKey = (subject: string): string => `lock:${subject}`;
/**
 * The subject's lockout from one IP. The keys of a subject + IP pair carry the subject's
 * generation, so lifting the subject's lockouts retires the pairs of every IP in one write.
 */
export const pairLockKey = (subject: string, ip: string): string => `lock:${subject}:${ip}${GENERATION_MARK}`;
/** The level of the subject's lockout from one IP. */
export const pairLockLevelKey = (subject: string, ip: string): string => `lock:${subject}:${ip}:level${GENERATION_MARK}`;
/** The generation of the subject's pair keys, raised when its lockouts are lifted. */
export const generationKey = (subject: string): string => `gen:${subject}`;
/** A lockout's level (how long the next one lasts). */
export const lockLevelKey = (lockKey: string): string => `${lockKey}:level`;

/** Lockout notices sent to an identifier, whatever the purpose: at most one a day. */
export const noticeKey = (identifierHash: string): string => `notice:${identifierHash.slice(0, 22)}`;
export const cooldownKey = (subject: string): string => `cooldown:${subject}`;
export const sendsKey = (subject: string): string => `sends:${subject}`;
export const sendsPerIpKey = (scope: string, ip: string): string => `sends_ip:${scope}:${ip}`;
export const channelKey = (channel: string): string => `channel:${channel}`;

/** A phone number's prefix (its last `suffixDigits` dropped), as counted for prefix velocity. */
export const prefixKey = (prefix: string): string => `prefix:${prefix}`;
export const prefixBlockKey = (prefixKey: string): string => `block:${prefixKey}`;
export const prefixBlockLevelKey = (prefixKey: string): string => `block_level:${prefixKey}`;
/** A number seen in the prefix window: only numbers new in it count. */
export const seenNumberKey = (number: string): string => `seen:${number}`;
export const SEEN_PREFIX = "seen:";

export const failuresKey = (subject: string): string => `failures:${subject}`;
export const pairFailuresKey = (subject: string, ip: string): string => `failures:${subject}:${ip}${GENERATION_MARK}`;
export const failuresPerIpKey = (scope: string, ip: string): string => `failures_ip:${scope}:${ip}`;
