-- Purge one duel's per-vote personal traces, atomically. Every key shares the duel's hash
-- tag {d:<id>} (one cluster slot).
-- KEYS: 1 voters set, 2 votes stream, 3 tally state hash, 4 quarantine hash,
--       5 quarantine votes stream, 6 pow:used zset, 7.. throttle and fraud-window keys
-- ARGV: 1 length of a keyed hash (group subjects this long or longer are hashes)
-- Returns {voters removed, stream entries trimmed, stream entries kept (not yet tallied),
--          quarantine groups renamed, quarantine vote records removed, other keys removed}.
--
-- Vote stream entries are trimmed only below the tally's floor (every id below it is
-- counted and acknowledged), so a vote not yet counted is never lost. Quarantine groups
-- "<reason>-<kind>-<hash>" become "<reason>-<kind>-<n>" (n = 1, 2, ...: short, so never
-- mistaken for a hash again); their states and per-team counts stay.

local voters = redis.call('SCARD', KEYS[1])
redis.call('DEL', KEYS[1])

local trimmed, kept = 0, 0
if redis.call('EXISTS', KEYS[2]) == 1 then
  local floor = redis.call('HGET', KEYS[3], 'floor')
  if floor then trimmed = redis.call('XTRIM', KEYS[2], 'MINID', floor) end
  kept = redis.call('XLEN', KEYS[2])
end

local hash_chars = tonumber(ARGV[1])
local fields = redis.call('HGETALL', KEYS[4])
local renamed = 0
if #fields > 0 then
  -- Group fields are "<reason>-<kind>-<subject>"; count fields "<group>/<team>".
  local next_number = 1
  local renames = {}
  for i = 1, #fields, 2 do
    local subject = string.match(fields[i], '^%a+%-[nup]%-([0-9a-f]+)$')
    if subject and #subject < hash_chars then
      next_number = math.max(next_number, tonumber(subject, 16) + 1)
    end
  end
  for i = 1, #fields, 2 do
    local prefix, subject = string.match(fields[i], '^(%a+%-[nup]%-)([0-9a-f]+)$')
    if subject and #subject >= hash_chars then
      renames[fields[i]] = prefix .. string.format('%x', next_number)
      next_number = next_number + 1
      renamed = renamed + 1
    end
  end
  if renamed > 0 then
    local rewritten = {}
    for i = 1, #fields, 2 do
      local name = fields[i]
      local group, team = string.match(name, '^([^/]+)/(.*)$')
      if group and renames[group] then
        name = renames[group] .. '/' .. team
      elseif renames[name] then
        name = renames[name]
      end
      rewritten[#rewritten + 1] = name
      rewritten[#rewritten + 1] = fields[i + 1]
    end
    redis.call('DEL', KEYS[4])
    for i = 1, #rewritten, 1000 do
      redis.call('HSET', KEYS[4], unpack(rewritten, i, math.min(i + 999, #rewritten)))
    end
  end
end

local quarantine_votes = 0
if redis.call('EXISTS', KEYS[5]) == 1 then
  quarantine_votes = redis.call('XLEN', KEYS[5])
  redis.call('DEL', KEYS[5])
end

local removed = redis.call('DEL', KEYS[6])
for i = 7, #KEYS do removed = removed + redis.call('DEL', KEYS[i]) end

return {voters, trimmed, kept, renamed, quarantine_votes, removed}
