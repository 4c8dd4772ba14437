import { randomBytes } from "node:crypto";

const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

/**
 * CSPRNG bytes drawn from a pooled buffer: one `randomBytes` call serves ~140 tokens, which keeps
 * the generate path cheap. Returned slices are never handed out twice and a spent pool is
 * replaced, not refilled in place, so a slice stays valid for its holder.
 */
export function randomSlice(length: number): Buffer {
  if (offset + length > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + length);
  offset += length;
  return slice;
}
