-- One vote, atomically. All keys share the duel's hash tag {d:<id>} (one cluster slot).
-- KEYS: 1 duel hash, 2 voters set, 3 votes stream, 4 provisional hash, 5 tally-pending flag,
--       6 rate:token, 7 rate:ip, 8 rate:ipua, 9 rate:net (burst detector), 10 pow:used zset
-- ARGV: 1 team, 2 voter id, 3 network hash, 4 user-agent hash, 5 ip hash,
--       6 votes/min per token, 7 per ip, 8 per ip+ua,
--       9 pow difficulty, 10 burst difficulty, 11 burst votes/min per network,
--       12 difficulty of the solved challenge (-1: none), 13 challenge id, 14 challenge expiry (s)
-- Returns {"ok", stream id, tally newly pending 0/1, home, home count, away, away count}
-- (counts only when the duel shows results), or {"<reason>", detail}.
-- Rate limits are GCRA (one string per subject holding the "theoretical arrival time" in µs,
-- expiring with it), burst = one minute of allowance. Only accepted votes use up the IP
-- allowances; the token allowance is used by attempts that were refused after it.

local WINDOW = 60000000  -- one minute in microseconds

local d = redis.call('HMGET', KEYS[1], 'status', 'opens_at', 'closes_at', 'home', 'away',
  'show_results')
if not d[1] then return {'unknown_duel'} end

local clock = redis.call('TIME')
-- Microseconds: exact in a double, and no rounding drift when limits are high.
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

if d[1] ~= 'voting' then return {'voting_closed'} end
local opens, closes = tonumber(d[2]), tonumber(d[3])
if (opens and now < opens * 1000000) or (closes and now >= closes * 1000000) then
  return {'voting_closed'}
end

local team = ARGV[1]
if team ~= d[4] and (not d[5] or d[5] == '' or team ~= d[5]) then
  return {'team_not_in_duel'}
end

if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return {'already_voted'} end

-- GCRA step: allowed?, arrival time to store if used, µs until allowed.
local function gcra(key, per_minute)
  local interval = WINDOW / per_minute
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local wait = tat + interval - WINDOW - now
  if wait > 0 then return false, tat, wait end
  return true, tat + interval, 0
end

local function store(key, tat)
  local ttl = math.ceil((tat - now) / 1000)
  if ttl > 0 then redis.call('SET', key, string.format('%.0f', tat), 'PX', ttl) end
end

local token_ok, token_tat, token_wait = gcra(KEYS[6], tonumber(ARGV[6]))
if not token_ok then return {'throttled', math.ceil(token_wait / 1000000)} end

-- Proof-of-work: asked always when configured, harder for a network in a burst.
local net_interval = WINDOW / tonumber(ARGV[11])
local net_tat = tonumber(redis.call('GET', KEYS[9])) or now
if net_tat < now then net_tat = now end
local required = tonumber(ARGV[9])
if net_tat - now >= WINDOW - net_interval / 2 and tonumber(ARGV[10]) > required then
  required = tonumber(ARGV[10])
end
if required > 0 and tonumber(ARGV[12]) < required then
  store(KEYS[6], token_tat)
  return {'pow_required', required}
end
local challenge = ARGV[13]
if challenge ~= '' and redis.call('ZSCORE', KEYS[10], challenge) then
  store(KEYS[6], token_tat)
  return {'pow_replayed'}
end

local ip_ok, ip_tat, ip_wait = gcra(KEYS[7], tonumber(ARGV[7]))
local ua_ok, ua_tat, ua_wait = gcra(KEYS[8], tonumber(ARGV[8]))
if not (ip_ok and ua_ok) then
  store(KEYS[6], token_tat)
  return {'throttled', math.ceil(math.max(ip_wait, ua_wait) / 1000000)}
end

-- Accepted.
local id = redis.call('XADD', KEYS[3], '*', 't', team, 'v', ARGV[2], 'n', ARGV[3],
  'u', ARGV[4], 'ip', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[4], team, 1)
store(KEYS[7], ip_tat)
store(KEYS[8], ua_tat)
-- The burst detector leaks at the burst rate and is capped so it calms down within minutes.
store(KEYS[9], math.min(net_tat + net_interval, now + 2 * WINDOW))
if challenge ~= '' then
  local expires_ms = tonumber(ARGV[14]) * 1000
  local now_ms = math.floor(now / 1000)
  redis.call('ZADD', KEYS[10], expires_ms, challenge)
  redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', now_ms)
  if redis.call('PTTL', KEYS[10]) < expires_ms - now_ms then
    redis.call('PEXPIREAT', KEYS[10], expires_ms)
  end
end
local pending = 0
if redis.call('SET', KEYS[5], '1', 'NX', 'EX', 2) then pending = 1 end
if d[6] == '1' then
  local away = d[5] or ''
  local counts = redis.call('HMGET', KEYS[4], d[4], away)
  return {'ok', id, pending, d[4], tonumber(counts[1]) or 0, away, tonumber(counts[2]) or 0}
end
return {'ok', id, pending}
