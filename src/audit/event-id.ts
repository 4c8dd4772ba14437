import { randomBytes } from "node:crypto";

/**
 * A UUIDv7 whose timestamp is the event's time: ids sort in time order, so every index on them
 * grows at its right edge (cheap appends) instead of splitting pages at random.
 *
 * Its 12-bit `rand_a` field is a counter and its 62-bit `rand_b` is random, drawn afresh each
 * time the counter wraps (RFC 9562 §6.2, a fixed-length dedicated counter): ids sharing a random
 * part differ in their counter, and two random parts meet with odds of 2^-62. An id is made on
 * every audited check, so it is built from cached pieces instead of hex-encoding 16 fresh bytes
 * (a quarter of the cost). Event ids say nothing secret: the time is in the row already.
 */
export function timeOrderedId(atMs: number): string {
  if (sequence === SEQUENCE_HEX.length) {
    const random = randomBytes(8);
    random[0] = (random[0]! & 0x3f) | 0x80; // the variant bits, 10
    const hex = random.toString("hex");
    randomPart = `-${hex.slice(0, 4)}-${hex.slice(4)}`;
    sequence = 0;
  }
  const ms = Math.max(0, Math.min(Math.floor(atMs), 2 ** 48 - 1));
  if (ms !== prefixMs) {
    const hex = ms.toString(16).padStart(12, "0");
    prefix = `${hex.slice(0, 8)}-${hex.slice(8)}-7`;
    prefixMs = ms;
  }
  return prefix + SEQUENCE_HEX[sequence++]! + randomPart;
}

const SEQUENCE_HEX = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));
let sequence = SEQUENCE_HEX.length;
let randomPart = "";
let prefixMs = -1;
let prefix = "";
