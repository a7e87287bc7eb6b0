-- Attendee codes (duels/codes.py): every change of a code record, atomically.
-- ARGV[1] is the operation; all keys of one call share one hash slot.
--
-- lookup   KEYS: 1 code index (hash -> cid), 2 this network's wrong entries (same slot)
--          ARGV: 2 code hash ("" = malformed), 3 limit, 4 window ms
--          -> {'ok', cid} | {'code_unknown'} | {'code_attempts_throttled', ms to wait}
-- claim    KEYS: 1 codes hash, 2 this network's wrong entries, 3 revoked set
--          ARGV: 2 code hash, 3 limit, 4 window ms, 5 voter id, 6 policy (refuse|move),
--                7 now (s)
--          -> {'ok', generation, revoked binding or ''} | {refusal code [, ms to wait]}
-- state    KEYS: 1 codes hash; ARGV: 2 code hash, 3 'active' | 'revoked' -> {'ok'} | {}
-- release  KEYS: 1 codes hash, 2 revoked set; ARGV: 2 code hash
--          -> {'ok', revoked binding} | {}
-- purge    KEYS: 1 codes hash -> {bindings cleared}
--
-- Wrong entries: a fixed window per network, counted only for codes that do not exist;
-- while a network is over the limit even a right code waits (no guessing oracle).

local op = ARGV[1]

local function throttled(key, limit)
  if (tonumber(redis.call('GET', key)) or 0) >= limit then
    return math.max(redis.call('PTTL', key), 1)
  end
  return nil
end

local function failed(key, window)
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, window) end
end

local function binding(subject, gen)
  return 'k:' .. subject .. ':' .. gen
end

if op == 'lookup' then
  local wait = throttled(KEYS[2], tonumber(ARGV[3]))
  if wait then return {'code_attempts_throttled', wait} end
  local cid = ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[2])
  if not cid then
    failed(KEYS[2], tonumber(ARGV[4]))
    return {'code_unknown'}
  end
  return {'ok', cid}
end

if op == 'purge' then
  local fields = redis.call('HGETALL', KEYS[1])
  local cleared = 0
  for i = 1, #fields, 2 do
    local code = cjson.decode(fields[i + 1])
    if code.voter ~= '' or code.claimed_at ~= 0 then
      code.voter = ''
      code.claimed_at = 0
      redis.call('HSET', KEYS[1], fields[i], cjson.encode(code))
      cleared = cleared + 1
    end
  end
  return {cleared}
end

local subject = ARGV[2]
local raw = subject ~= '' and redis.call('HGET', KEYS[1], subject)

if op == 'claim' then
  local wait = throttled(KEYS[2], tonumber(ARGV[3]))
  if wait then return {'code_attempts_throttled', wait} end
  if not raw then
    failed(KEYS[2], tonumber(ARGV[4]))
    return {'code_unknown'}
  end
  local code = cjson.decode(raw)
  if code.state ~= 'active' then return {'code_revoked'} end
  local gen = tonumber(code.gen) or 0
  if code.voter == ARGV[5] then return {'ok', gen, ''} end
  local old = ''
  if code.voter ~= '' then
    if ARGV[6] ~= 'move' then return {'code_claimed_elsewhere'} end
    old = binding(subject, gen)
    redis.call('SADD', KEYS[3], old)
    gen = gen + 1
  end
  code.voter = ARGV[5]
  code.gen = gen
  code.claimed_at = tonumber(ARGV[7])
  redis.call('HSET', KEYS[1], subject, cjson.encode(code))
  return {'ok', gen, old}
end

if not raw then return {} end
local code = cjson.decode(raw)

if op == 'state' then
  code.state = ARGV[3]
  redis.call('HSET', KEYS[1], subject, cjson.encode(code))
  return {'ok'}
end

if op == 'release' then
  local gen = tonumber(code.gen) or 0
  local old = binding(subject, gen)
  redis.call('SADD', KEYS[2], old)
  code.voter = ''
  code.claimed_at = 0
  code.gen = gen + 1
  redis.call('HSET', KEYS[1], subject, cjson.encode(code))
  return {'ok', old}
end

return redis.error_reply('unknown operation ' .. tostring(op))
