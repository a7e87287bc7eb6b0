-- Tally steps, each one atomic. ARGV[1] names the step. Every step touches keys of ONE hash
-- slot: "tally" and "review" the duel's ({d:<id>}), "board" the competition's ({c:<id>}).
--
-- tally: count a batch of votes exactly once and acknowledge it.
--   KEYS: 1 votes stream, 2 official hash, 3 tallied set, 4 tally state hash,
--         5 quarantine hash, 6 evidence groups hash, 7 evidence flags hash, 8 duel hash,
--         9 provisional hash (8 and 9 only read, for the event that follows)
--   ARGV: 2 consumer group, 3 home team, 4 away team, 5 number of votes, then per vote five
--         values: stream id, team, evidence subject ("" = none), its quarantine group, the
--         subject's limit of votes in the duel (0 = none)
--   A vote is counted only if its id is not below the state's "floor" (every id below it is
--   known to be counted) and it is new to the tallied set; the whole batch is XACKed. The
--   floor then moves up to the oldest still pending id (or just past the last delivered one)
--   and the set drops the ids below it, so it only holds ids counted out of order.
--   Each counted vote adds to its subject ("<subject>" and "<subject>/<team>" in the groups
--   hash). When a subject passes its limit it is flagged (flags hash: subject -> group) and
--   ALL its votes are held back: those counted before move from "<team>" to "q:<team>" in
--   the official hash (the rule is judged over the whole window), later ones go there
--   directly; "<group>/<team>" in the quarantine hash counts them for the host's review.
--   Returns {counted, quarantined (this batch, moved ones included), version, official
--   hash as a flat list, groups flagged by this batch, {status, show_results} of the duel,
--   provisional hash as a flat list}.
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
--
-- announce: "board", then the tally event: XADD to the competition's event log and, when
--   a channel is given (one Redis for store and events), PUBLISH of {id, data} there.
--   KEYS: as "board", then the event log stream
--   ARGV: as "board", then the event's JSON, the channel ("" = the caller announces it),
--         the log's approximate maximum length
--   Returns the event's stream id.

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
  local quarantine, groups, flags = KEYS[5], KEYS[6], KEYS[7]
  local group, n = ARGV[2], tonumber(ARGV[5])
  local teams = {}
  for _, team in ipairs({ARGV[3], ARGV[4]}) do
    if team ~= '' then teams[#teams + 1] = team end
  end
  local floor = redis.call('HGET', state, 'floor') or '0-0'
  local counted, quarantined = 0, 0
  local flagged = {}
  local ids = {}

  -- Hold back a subject's votes counted so far (all but the one being counted now).
  local function flag(subject, held, review, current_team)
    redis.call('HSET', flags, subject, held)
    flagged[#flagged + 1] = held
    for _, team in ipairs(teams) do
      local before = tonumber(redis.call('HGET', groups, subject .. '/' .. team) or '0')
      if team == current_team then before = before - 1 end
      if before > 0 then
        quarantined = quarantined + before
        redis.call('HINCRBY', quarantine, held .. '/' .. team, before)
        if review ~= 'included' then
          redis.call('HINCRBY', official, team, -before)
          redis.call('HINCRBY', official, 'q:' .. team, before)
        end
      end
    end
  end

  for i = 0, n - 1 do
    local base = 6 + i * 5
    local id, team, subject = ARGV[base], ARGV[base + 1], ARGV[base + 2]
    local quarantine_group, limit = ARGV[base + 3], tonumber(ARGV[base + 4])
    ids[#ids + 1] = id
    if not id_less(id, floor) and redis.call('SADD', tallied, id) == 1 then
      counted = counted + 1
      local held = nil
      if subject ~= '' then
        local total = redis.call('HINCRBY', groups, subject, 1)
        redis.call('HINCRBY', groups, subject .. '/' .. team, 1)
        held = redis.call('HGET', flags, subject)
        if not held and limit > 0 and total > limit and quarantine_group ~= '' then
          held = quarantine_group
          local review = redis.call('HGET', quarantine, held)
          if not review then
            review = 'pending'
            redis.call('HSET', quarantine, held, review)
          end
          flag(subject, held, review, team)
        end
      end
      if held then
        quarantined = quarantined + 1
        local review = redis.call('HGET', quarantine, held) or 'pending'
        redis.call('HINCRBY', quarantine, held .. '/' .. team, 1)
        -- An included group is trusted: its later votes count as well.
        if review == 'included' then
          redis.call('HINCRBY', official, team, 1)
        else
          redis.call('HINCRBY', official, 'q:' .. team, 1)
        end
      else
        redis.call('HINCRBY', official, team, 1)
      end
    end
  end
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
  local duel, provisional = {}, {}
  if KEYS[9] then
    duel = redis.call('HMGET', KEYS[8], 'status', 'show_results')
    provisional = redis.call('HGETALL', KEYS[9])
  end
  return {counted, quarantined, version, redis.call('HGETALL', official), flagged, duel,
    provisional}
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

local function write_board(teams)
  local board, did, version = KEYS[1], ARGV[2], tonumber(ARGV[3])
  local written = 0
  for i = 1, teams do
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

if op == 'board' then return write_board(#KEYS - 1) end

if op == 'announce' then
  local teams = #KEYS - 2
  write_board(teams)
  local event, channel, length = ARGV[4 + teams * 2], ARGV[5 + teams * 2], ARGV[6 + teams * 2]
  local id = redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', length, '*', 'e', event)
  if channel ~= '' then
    redis.call('PUBLISH', channel, '{"id":"' .. id .. '","data":' .. cjson.encode(event) .. '}')
  end
  return id
end

return redis.error_reply('unknown tally step ' .. tostring(op))
