-- One vote, atomically. All keys share the duel's hash tag {d:<id>} (one cluster slot).
-- KEYS: 1 duel hash, 2 voters set, 3 votes stream, 4 provisional hash, 5 tally-pending flag,
--       6 rate:token, 7 rate:ip, 8 rate:ipua, 9 rate:mint (new voters of the network, a GCRA
--       arrival time: new_voters.lua), 10 pow:used zset, 11 present hash, 12 subjects set,
--       13 revoked set, 14 refused hash
-- ARGV: 1 team, 2 voter id, 3 network hash, 4 user-agent hash, 5 ip hash,
--       6 votes/min per token, 7 per ip, 8 per ip+ua,
--       9 pow difficulty, 10 burst difficulty, 11 µs of new voters a network may have pending
--       (allowance x interval) before the burst difficulty, 12 difficulty of the solved challenge (-1: none), 13 challenge id,
--       14 challenge expiry (s), 15 admission pass kind ("", "k" code, "e" e-mail),
--       16 pass subject ("k:<hash>"), 17 pass binding ("k:<hash>:<gen>"), 18 pass competition,
--       19 how long a presence mark admits (ms)
-- Returns {"ok", stream id, tally newly pending 0/1, home, home count, away, away count}
-- (counts only when the duel shows results), or {"<reason>", detail}.
--
-- Admission (the duel's "admission" field, fixed when voting opened) comes first:
--   venue    the voter scanned a fresh code of the stage screen (present hash);
--   codes    a pass for an attendee code of this competition, not revoked, not used here;
--   verified the same for a confirmed e-mail address;
--   open     anyone: proof-of-work (harder for a network minting many new voters) and the
--            per-IP limits carry it.
-- Refusals are counted per code in the refused hash (the hosts' integrity summary).
-- Rate limits are GCRA (one string per subject holding the "theoretical arrival time" in µs,
-- expiring with it), burst = one minute of allowance. Only accepted votes use up the IP
-- allowances; the token allowance is used by attempts that were refused after it.

local WINDOW = 60000000  -- one minute in microseconds

local d = redis.call('HMGET', KEYS[1], 'status', 'opens_at', 'closes_at', 'home', 'away',
  'show_results', 'admission', 'competition')
if not d[1] then return {'unknown_duel'} end

local function refuse(code, detail)
  redis.call('HINCRBY', KEYS[14], code, 1)
  return {code, detail or ''}
end

local clock = redis.call('TIME')
-- Microseconds: exact in a double, and no rounding drift when limits are high.
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

if d[1] ~= 'voting' then return refuse('voting_closed') end
local opens, closes = tonumber(d[2]), tonumber(d[3])
if (opens and now < opens * 1000000) or (closes and now >= closes * 1000000) then
  return refuse('voting_closed')
end

local team = ARGV[1]
if team ~= d[4] and (not d[5] or d[5] == '' or team ~= d[5]) then
  return refuse('team_not_in_duel')
end

if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return refuse('already_voted') end

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
if not token_ok then return refuse('throttled', math.ceil(token_wait / 1000000)) end

local mode = d[7]
if not mode or mode == '' then mode = 'open' end
local subject = ''
if mode == 'venue' then
  local mark = redis.call('HGET', KEYS[11], ARGV[2])
  local slot, marked = nil, nil
  if mark then slot, marked = string.match(mark, '^(%S+) (%d+)$') end
  if not slot or now / 1000 - tonumber(marked) > tonumber(ARGV[19]) then
    store(KEYS[6], token_tat)
    return refuse('presence_required')
  end
  subject = 'p:' .. slot
elseif mode == 'codes' or mode == 'verified' then
  local wanted = 'k'
  if mode == 'verified' then wanted = 'e' end
  if ARGV[15] ~= wanted or ARGV[18] ~= d[8] then
    store(KEYS[6], token_tat)
    if wanted == 'k' then return refuse('code_required') end
    return refuse('email_required')
  end
  subject = ARGV[16]
  if redis.call('SISMEMBER', KEYS[13], subject) == 1
    or redis.call('SISMEMBER', KEYS[13], ARGV[17]) == 1 then
    store(KEYS[6], token_tat)
    return refuse('admission_revoked')
  end
  if redis.call('SISMEMBER', KEYS[12], subject) == 1 then return refuse('already_voted') end
end

-- Proof-of-work: asked always when configured; in open mode harder for a network that
-- mints many new voters (a cookie-clearing script) before its votes add up.
local required = tonumber(ARGV[9])
if mode == 'open' and tonumber(ARGV[10]) > required
  and (tonumber(redis.call('GET', KEYS[9])) or now) - now > tonumber(ARGV[11]) then
  required = tonumber(ARGV[10])
end
if required > 0 and tonumber(ARGV[12]) < required then
  store(KEYS[6], token_tat)
  return refuse('pow_required', required)
end
local challenge = ARGV[13]
if challenge ~= '' and redis.call('ZSCORE', KEYS[10], challenge) then
  store(KEYS[6], token_tat)
  return refuse('pow_replayed')
end

local ip_ok, ip_tat, ip_wait, ua_ok, ua_tat, ua_wait = true, nil, 0, true, nil, 0
if mode == 'open' then
  ip_ok, ip_tat, ip_wait = gcra(KEYS[7], tonumber(ARGV[7]))
  ua_ok, ua_tat, ua_wait = gcra(KEYS[8], tonumber(ARGV[8]))
  if not (ip_ok and ua_ok) then
    store(KEYS[6], token_tat)
    return refuse('throttled', math.ceil(math.max(ip_wait, ua_wait) / 1000000))
  end
end

-- Accepted.
-- Open mode's entries stay as they were ("a" and "s" absent mean open, no subject).
local id
if mode == 'open' then
  id = redis.call('XADD', KEYS[3], '*', 't', team, 'v', ARGV[2], 'n', ARGV[3],
    'u', ARGV[4], 'ip', ARGV[5])
else
  id = redis.call('XADD', KEYS[3], '*', 't', team, 'v', ARGV[2], 'n', ARGV[3],
    'u', ARGV[4], 'ip', ARGV[5], 'a', mode, 's', subject)
end
redis.call('SADD', KEYS[2], ARGV[2])
if mode == 'codes' or mode == 'verified' then redis.call('SADD', KEYS[12], subject) end
redis.call('HINCRBY', KEYS[4], team, 1)
if ip_tat then store(KEYS[7], ip_tat) end
if ua_tat then store(KEYS[8], ua_tat) end
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
