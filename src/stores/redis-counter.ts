/**
 * One point taken from a counter in rate-limiter-flexible's Redis format (value = points, TTL =
 * the window), as a Lua function for the scripts that count: the guard's batch and the ledger's
 * check with budgets. Same steps as rate-limiter-flexible's consume, so either can count a key.
 */
export const TAKE_POINT_LUA = `
local function takePoint(key, ttl)
  redis.call('SET', key, 0, 'EX', ttl, 'NX')
  local points = redis.call('INCRBY', key, 1)
  local left = redis.call('PTTL', key)
  if left == -1 then
    redis.call('EXPIRE', key, ttl)
    left = ttl * 1000
  end
  return points, left
end
`;
