/**
 * The Redis ledger's steps as Lua, apart from the store so that a script of another module (the
 * guard's counters) can run them beside its own work without loading the Redis driver.
 */
import type { RecordOutcome } from "../contracts/ledger.js";

// The ledger's steps as Lua functions, so a caller's script can run them beside work of its own
// (see RedisStore.evalWithEntry). `epoch` is the caller's; an entry of another epoch reads as absent.
export const LEDGER_FUNCTIONS = `
local function ledger_read(key, epoch)
  local value = redis.call('GET', key)
  if value then
    local sep = string.find(value, ':', 2, true)
    if sep and string.sub(value, sep + 1) == epoch then
      return string.sub(value, 1, 1), string.sub(value, 2, sep - 1)
    end
  end
  return nil, nil
end
-- match '1' for a right code. Returns an index into RECORD_OUTCOMES and the attempts.
local function ledger_record(key, epoch, match, max)
  local state, body = ledger_read(key, epoch)
  if not state then return 0, 0 end
  local attempts = tonumber(body)
  if state == 'c' then return 1, attempts end
  if state == 'r' then return 2, attempts end
  if attempts >= tonumber(max) then return 3, attempts end
  attempts = attempts + 1
  if match == '1' then
    redis.call('SET', key, 'c' .. attempts .. ':' .. epoch, 'KEEPTTL')
    return 4, attempts
  end
  redis.call('SET', key, 'p' .. attempts .. ':' .. epoch, 'KEEPTTL')
  return 5, attempts
end
local function ledger_open(key, epoch, attempts, ttl)
  redis.call('SET', key, 'p' .. attempts .. ':' .. epoch, 'PX', ttl)
end
`;

/** What `ledger_record`'s first value indexes. */
export const RECORD_OUTCOMES: readonly RecordOutcome[] = ["unknown", "consumed", "revoked", "exhausted", "approved", "rejected"];
