/**
 * The Redis ledger's scripts (Lua), built on the ledger functions of redis-ledger-lua.ts; the
 * store (redis.ts) sends them.
 */
import { createHash } from "node:crypto";
import type { LedgerState } from "../contracts/ledger.js";
import { LEDGER_FUNCTIONS } from "./redis-ledger-lua.js";

/** What follows a replaced entry's attempts; Lua reads "2.0" as the number 2. */
const REPLACED_MARK = ".0";

// One value per verification: a state letter, the attempts used and the epoch it was opened in,
// e.g. "p2:k3v9q1" = pending, two attempts. One GET/SET pair inside a script; the key's TTL is the
// session window. A replaced entry (revoked by a resend) is "r2.0:…": still letter 'r' and two
// attempts, refused as revoked.
//
// Every script first compares Redis's clock with the call's deadline and refuses past it
// (answer -1), so a command that reaches Redis late (a paused server, a full socket buffer)
// changes nothing. Then it reads the entry; one opened in another epoch than the caller's is
// answered as unknown (see RedisStore, "epochs").
//
// ARGV[1] the deadline (epoch ms), ARGV[2] the epoch; the script's own arguments follow.
const PREAMBLE = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[1]) then return {-1, 0} end
`;
// ARGV[3] = '1' for a match, ARGV[4] the maximum. Reply: outcome (an index into RECORD_OUTCOMES), attempts.
const RECORD_SCRIPT = `${PREAMBLE}${LEDGER_FUNCTIONS}
local outcome, attempts = ledger_record(KEYS[1], ARGV[2], ARGV[3], ARGV[4])
return {outcome, attempts}
`;

// ARGV[3] = '1' marks the entry replaced rather than revoked. Reply: previous state (an index
// into REVOKE_PREVIOUS), attempts.
const REVOKE_SCRIPT = `${PREAMBLE}${LEDGER_FUNCTIONS}
local state, body = ledger_read(KEYS[1], ARGV[2])
if not state then return {0, 0} end
local attempts = tonumber(body)
if state == 'p' then
  redis.call('SET', KEYS[1], 'r' .. attempts .. (ARGV[3] == '1' and '${REPLACED_MARK}' or '') .. ':' .. ARGV[2], 'KEEPTTL')
  return {1, attempts}
end
if state == 'c' then return {2, attempts} end
if string.sub(body, -${REPLACED_MARK.length}) == '${REPLACED_MARK}' then return {4, attempts} end
return {3, attempts}
`;

// ARGV[3] attempts, ARGV[4] time to live in ms. Reply: {1, 0}.
const OPEN_SCRIPT = `${PREAMBLE}${LEDGER_FUNCTIONS}
ledger_open(KEYS[1], ARGV[2], ARGV[3], ARGV[4])
return {1, 0}
`;

// Reads only. Reply: state (an index into INSPECT_STATES), attempts, and when the entry expires
// (epoch ms by Redis's clock: its TIME plus the key's PTTL).
const INSPECT_SCRIPT = `${PREAMBLE}${LEDGER_FUNCTIONS}
local state, body = ledger_read(KEYS[1], ARGV[2])
if not state then return {0, 0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0, 0} end
local at = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ttl
local attempts = math.floor(tonumber(body))
if state == 'p' then return {1, attempts, at} end
if state == 'c' then return {2, attempts, at} end
if string.sub(body, -${REPLACED_MARK.length}) == '${REPLACED_MARK}' then return {4, attempts, at} end
return {3, attempts, at}
`;

// A mark ('advance'): a bare integer under its own key. ARGV[3] the value, ARGV[4] time to live in
// ms. Reply: 1 and the value when it advanced, else 0 and the mark it holds. A mark carries no epoch:
// an absent mark lets a code through, so the epoch's "unknown never approves" cannot protect it;
// what a restart keeps of marks is the server's persistence, which the service checks at start.
const ADVANCE_SCRIPT = `${PREAMBLE}
local mark = tonumber(redis.call('GET', KEYS[1]))
if mark and mark >= tonumber(ARGV[3]) then return {0, mark} end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return {1, tonumber(ARGV[3])}
`;

/** The states INSPECT_SCRIPT answers with, by index. */
export const INSPECT_STATES: LedgerState[] = ["unknown", "pending", "consumed", "revoked", "replaced"];

/** The previous states REVOKE_SCRIPT answers with, by index. */
export const REVOKE_PREVIOUS: LedgerState[] = ["unknown", "pending", "consumed", "revoked", "replaced"];

/** A script's source and the SHA1 EVALSHA calls it by. */
export interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** The ledger's scripts, each run on the entry of one verification. */
export const SCRIPTS = {
  open: script(OPEN_SCRIPT),
  record: script(RECORD_SCRIPT),
  revoke: script(REVOKE_SCRIPT),
  inspect: script(INSPECT_SCRIPT),
  advance: script(ADVANCE_SCRIPT),
};

// The epoch record, one hash: the epoch entries are opened in, and the run id of the server that
// last confirmed it. ARGV[1] the run id of the server this runs on, ARGV[2] '1' when that server
// loses no acknowledged write on a restart (AOF, appendfsync always), ARGV[3] a fresh epoch.
// Same run: the epoch holds. Another run (a restart, or another server) that may have lost writes,
// or no record at all: a new epoch, so every entry opened before is refused.
export const EPOCH_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local run = redis.call('HGET', KEYS[1], 'run')
if epoch and run == ARGV[1] then return epoch end
if epoch and ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'run', ARGV[1])
  return epoch
end
redis.call('HSET', KEYS[1], 'run', ARGV[1], 'epoch', ARGV[3])
return ARGV[3]
`;
