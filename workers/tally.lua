-- Tally steps, each one atomic. ARGV[1] names the step. Every step touches keys of ONE hash
-- slot: "tally" and "review" the duel's ({d:<id>}), "board" the competition's ({c:<id>}).
--
-- tally: count a batch of votes exactly once and acknowledge it.
--   KEYS: 1 votes stream, 2 official hash, 3 tallied set, 4 tally state hash,
--         5 quarantine hash, 6 quarantine votes stream, 7.. window bucket hashes
--   ARGV: 2 consumer group, 3 bucket ttl (s), 4 number of votes, then per vote six values:
--         stream id, team, bucket key (index into KEYS from 7 on, 1-based), network hash,
--         user-agent hash, quarantine group ("" = count officially)
--   A vote is counted only if its id is not below the state's "floor" (every id below it is
--   known to be counted) and it is new to the tallied set; the whole batch is XACKed. The
--   floor then moves up to the oldest still pending id (or just past the last delivered one)
--   and the set drops the ids below it, so it only holds ids counted out of order.
--   Returns {counted, quarantined, version, official hash as a flat list}.
--
-- review: a host includes or excludes a quarantine group.
--   KEYS: 1 official hash, 2 quarantine hash, 3 tally state hash
--   ARGV: 2 group, 3 "included" | "excluded"
--   Including moves the group's votes from "q:<team>" to "<team>"; excluding an included
--   group moves them back; asking for the state the group is in changes nothing.
--   Returns {"ok", previous state, version, official flat} or {"unknown_group"}.
--
-- board: the duel's official totals into the competition's leaderboard, idempotently.
--   KEYS: 1 board votes zset, 2.. one board:team hash per team
--   ARGV: 2 duel id, 3 tally version, then per team: team id, official votes
--   A write older than the one stored (lower version) is ignored; the team's board entry is
--   the sum over its duels. Returns the number of teams written.

local op = ARGV[1]

-- Stream ids "<ms>-<seq>" compared exactly as decimal strings (no float rounding).
local function num_less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end

local function id_less(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  if ams ~= bms then return num_less(ams, bms) end
  return num_less(aseq, bseq)
end

local function id_after(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end

if op == 'tally' then
  local stream, official, tallied, state = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local quarantine, quarantine_votes = KEYS[5], KEYS[6]
  local group, ttl, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
  local floor = redis.call('HGET', state, 'floor') or '0-0'
  local counted, quarantined = 0, 0
  local touched = {}
  local ids = {}
  for i = 0, n - 1 do
    local base = 5 + i * 6
    local id, team, bucket = ARGV[base], ARGV[base + 1], KEYS[6 + tonumber(ARGV[base + 2])]
    local network, agent, verdict = ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
    ids[#ids + 1] = id
    if not id_less(id, floor) and redis.call('SADD', tallied, id) == 1 then
      counted = counted + 1
      if verdict == '' then
        redis.call('HINCRBY', official, team, 1)
      else
        quarantined = quarantined + 1
        local review = redis.call('HGET', quarantine, verdict)
        if not review then
          review = 'pending'
          redis.call('HSET', quarantine, verdict, review)
        end
        redis.call('HINCRBY', quarantine, verdict .. '/' .. team, 1)
        -- An included group is trusted: its later votes count as well.
        if review == 'included' then
          redis.call('HINCRBY', official, team, 1)
        else
          redis.call('HINCRBY', official, 'q:' .. team, 1)
        end
        redis.call('XADD', quarantine_votes, '*', 'id', id, 'g', verdict, 't', team)
      end
      redis.call('HINCRBY', bucket, '*', 1)
      if network ~= '' then redis.call('HINCRBY', bucket, 'n:' .. network, 1) end
      if agent ~= '' then redis.call('HINCRBY', bucket, 'u:' .. agent, 1) end
      touched[bucket] = true
    end
  end
  for bucket in pairs(touched) do redis.call('EXPIRE', bucket, ttl) end
  for i = 1, #ids, 500 do
    redis.call('XACK', stream, group, unpack(ids, i, math.min(i + 499, #ids)))
  end

  local pending = redis.call('XPENDING', stream, group)
  local new_floor
  if tonumber(pending[1]) > 0 then
    new_floor = pending[2]
  else
    for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
      local fields = {}
      for j = 1, #info, 2 do fields[info[j]] = info[j + 1] end
      if fields['name'] == group then new_floor = id_after(fields['last-delivered-id']) end
    end
  end
  if new_floor and id_less(floor, new_floor) then
    floor = new_floor
    redis.call('HSET', state, 'floor', floor)
    local below = {}
    for _, member in ipairs(redis.call('SMEMBERS', tallied)) do
      if id_less(member, floor) then below[#below + 1] = member end
    end
    for i = 1, #below, 500 do
      redis.call('SREM', tallied, unpack(below, i, math.min(i + 499, #below)))
    end
  end
  local version = tonumber(redis.call('HGET', state, 'version') or '0')
  if counted > 0 then version = redis.call('HINCRBY', state, 'version', 1) end
  return {counted, quarantined, version, redis.call('HGETALL', official)}
end

if op == 'review' then
  local official, quarantine, state = KEYS[1], KEYS[2], KEYS[3]
  local group, target = ARGV[2], ARGV[3]
  local previous = redis.call('HGET', quarantine, group)
  if not previous then return {'unknown_group'} end
  if previous ~= target then
    if target == 'included' or previous == 'included' then
      local sign = 1
      if target ~= 'included' then sign = -1 end
      local prefix = group .. '/'
      local fields = redis.call('HGETALL', quarantine)
      for j = 1, #fields, 2 do
        local name = fields[j]
        if string.sub(name, 1, #prefix) == prefix then
          local team, votes = string.sub(name, #prefix + 1), tonumber(fields[j + 1])
          redis.call('HINCRBY', official, team, sign * votes)
          redis.call('HINCRBY', official, 'q:' .. team, -sign * votes)
        end
      end
    end
    redis.call('HSET', quarantine, group, target)
    redis.call('HINCRBY', state, 'version', 1)
  end
  local version = tonumber(redis.call('HGET', state, 'version') or '0')
  return {'ok', previous, version, redis.call('HGETALL', official)}
end

if op == 'board' then
  local board, did, version = KEYS[1], ARGV[2], tonumber(ARGV[3])
  local written = 0
  for i = 1, #KEYS - 1 do
    local hash, team, votes = KEYS[i + 1], ARGV[2 + i * 2], ARGV[3 + i * 2]
    local stored = tonumber(redis.call('HGET', hash, did .. '#v') or '-1')
    if stored <= version then
      redis.call('HSET', hash, did, votes, did .. '#v', version)
      written = written + 1
    end
    local total = 0
    local fields = redis.call('HGETALL', hash)
    for j = 1, #fields, 2 do
      if string.sub(fields[j], -2) ~= '#v' then total = total + tonumber(fields[j + 1]) end
    end
    redis.call('ZADD', board, total, team)
  end
  return written
end

return redis.error_reply('unknown tally step ' .. tostring(op))
