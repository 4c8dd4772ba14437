/**
 * The Redis counters' step as one Lua script, apart from the class that calls it (redis.ts): the
 * script's source is most of the counters' code, and reads best on its own.
 */

/** Fields per op in the script's arguments. */
const _FIELDS = 12;

/**
 * The step of `step.ts`, in Lua. A window is stored as "points:expiresAtMs" (the engine's clock)
 * with a Redis TTL to match, so expired keys go by themselves; windows are read once, changed in
 * a table, and only those that end the script changed are written.
 *
 * KEYS[1] is the ledger entry (or a key never touched), KEYS[2..] the counters. ARGV[1] the
 * deadline, compared first with the server's TIME (a script that runs after the caller gave up
 * changes nothing), ARGV[2] the ledger's epoch, ARGV[3] the step as one JSON array (decoded by
 * Redis's cjson, cheaper on both sides than an argument per field): the engine's now, the ledger
 * part ('-', 'o' open, 'r' record) and its two arguments, then the ops (see `encode` in redis.ts): phase
 * ('m' the step, 'a' after an approval, 'n' after a check that compared nothing), kind (l t f g
 * u), key, and the fields of its kind; key values index KEYS, 0 for none; lock mode '-' none, 'L'
 * keep the count, 'R' reset it. Unpacked once into rows of FIELDS values, in the order: phase,
 * kind, key, max, window, lock key, level key, only-if-absent key, lock mode, lock base, lock
 * max, level window.
 *
 * ARGV[4] is the index in KEYS of the step's generation key (0 for none).
 *
 * Reply: {-2} past the deadline; {-1, op, ms} refused; else {0, outcome, attempts, points and
 * lock ms per 'm' op}.
 */
export const COUNTERS_LUA = `
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[1]) then return {-2} end
local epoch = ARGV[2]
local P = cjson.decode(ARGV[3])
local now, part = P[1], P[2]
-- Ops have the fields their kind needs, in the order of a(): unpacked here once.
local ops, at = {}, 5
while at <= #P do
  local kind = P[at + 1]
  local width = (kind == 't' and (P[at + 6] == '-' and 7 or 12)) or (kind == 'u' and 4) or 3
  local op = {P[at], kind, P[at + 2], 0, 0, 0, 0, 0, '-', 0, 0, 0}
  if kind == 't' then
    op[4], op[5], op[8], op[9] = P[at + 3], P[at + 4], P[at + 5], P[at + 6]
    if width == 12 then op[6], op[7], op[10], op[11], op[12] = P[at + 7], P[at + 8], P[at + 9], P[at + 10], P[at + 11] end
  elseif kind == 'u' then
    op[7] = P[at + 3]
  end
  ops[#ops + 1] = op
  at = at + width
end
local n = #ops
-- Keys ending in '#g' are numbered by the generation ARGV[4] indexes, read first (generation.ts).
local K = KEYS
local gk = tonumber(ARGV[4] or '0')
if gk > 0 then
  local gen, v = 0, redis.call('GET', KEYS[gk])
  if v then
    local sep = string.find(v, ':', 1, true)
    if tonumber(string.sub(v, sep + 1)) > now then gen = tonumber(string.sub(v, 1, sep - 1)) end
  end
  K = {}
  for i = 1, #KEYS do
    local k = KEYS[i]
    if string.sub(k, -2) == '#g' then
      k = string.sub(k, 1, -3)
      if gen > 0 then k = k .. '#' .. string.format('%d', gen) end
    end
    K[i] = k
  end
end
local function a(i, f) return ops[i][f] end
local cache, orig = {}, {}
local function read(k)
  local w = cache[k]
  if w == nil then
    local v = redis.call('GET', K[k])
    if v then
      local sep = string.find(v, ':', 1, true)
      w = {tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))}
    else
      w = false
    end
    cache[k] = w
    orig[k] = w
  end
  if w and w[2] > now then return w end
  return nil
end
local function set(k, w)
  read(k)
  cache[k] = w
end
for i = 1, n do
  if a(i, 1) == 'm' then
    local kind = a(i, 2)
    if kind == 'l' then
      local w = read(a(i, 3))
      if w and w[1] > 0 then return {-1, i - 1, w[2] - now} end
    elseif kind == 't' and a(i, 9) == '-' then
      local w = read(a(i, 3))
      if w and w[1] >= a(i, 4) then return {-1, i - 1, w[2] - now} end
    end
  end
end
local absent = {}
for i = 1, n do
  local ak = a(i, 8)
  if a(i, 1) == 'm' and a(i, 2) == 't' and ak > 0 and not read(ak) then absent[ak] = true end
end
local function add(k, windowMs)
  local w = read(k)
  if w then
    set(k, {w[1] + 1, w[2]})
    return w[1] + 1
  end
  set(k, {1, now + windowMs})
  return 1
end
local function run(i)
  local kind, k = a(i, 2), a(i, 3)
  local points, lockMs = 0, 0
  if kind == 't' then
    local ak = a(i, 8)
    if ak > 0 and not absent[ak] then
      local w = read(k)
      if w then points = w[1] end
    else
      points = add(k, a(i, 5))
      local mode = a(i, 9)
      if mode ~= '-' and points >= a(i, 4) then
        local level = add(a(i, 7), a(i, 12))
        lockMs = math.min(a(i, 10) * (2 ^ math.min(math.max(level - 1, 0), 40)), a(i, 11))
        set(a(i, 6), {1, now + lockMs})
        if mode == 'R' then set(k, false) end
      end
    end
  elseif kind == 'f' then
    if read(k) then set(k, false) end
  elseif kind == 'g' then
    local w = read(k)
    if w and w[1] > 1 then set(k, {w[1] - 1, w[2]}) elseif w then set(k, false) end
  elseif kind == 'u' then
    if read(k) then
      set(k, false)
      local lk = a(i, 7)
      local w = read(lk)
      if w and w[1] > 0 then set(lk, {w[1] - 1, w[2]}) end
    end
  end
  return points, lockMs
end
local out = {0, 0, 0}
for i = 1, n do
  if a(i, 1) == 'm' then
    local points, lockMs = run(i)
    out[#out + 1] = points
    out[#out + 1] = lockMs
  end
end
if part == 'o' then
  ledger_open(KEYS[1], epoch, P[3], P[4])
elseif part == 'r' then
  local outcome, attempts = ledger_record(KEYS[1], epoch, P[3], P[4])
  out[2] = outcome
  out[3] = attempts
  local phase = outcome == 4 and 'a' or (outcome == 5 and '' or 'n')
  if phase ~= '' then
    for i = 1, n do
      if a(i, 1) == phase then run(i) end
    end
  end
end
for k, w in pairs(cache) do
  local o = orig[k]
  local old = o and o[2] > now and o or nil
  local new = w and w[2] > now and w or nil
  if new then
    if not old or old[1] ~= new[1] or old[2] ~= new[2] then redis.call('SET', K[k], string.format('%d:%d', new[1], new[2]), 'PX', new[2] - now) end
  elseif old then
    redis.call('DEL', K[k])
  end
end
return out
`;
