-- The vote page's reads (and, for a phone without a voter cookie yet, the count of new
-- voters its network minted) in one step. All keys share the duel's hash tag.
-- KEYS: 1 duel hash, 2 voters set, 3 provisional hash, 4 present hash, 5 subjects set,
--       6 rate:mint (new voters of the network: new_voters.lua, put in front of this),
--       7 reach hash, 8 reach "seen" set of the day (optional: the view is counted only
--       when both are given, voting/reach.py)
-- ARGV: 1 voter id ("" for a new voter), 2 admission subject ("" none), 3 "1": count a new
--       voter, 4 the competition of the admission pass (a subject counts only there),
--       5 µs one new voter takes to leak away (a minute / the burst allowance),
--       6 the voter whose view counts ("" none: a bot), 7 the day "YYYY-MM-DD",
--       8 seconds the "seen" set lives
-- Returns {} for an unknown duel, else {duel fields, voted 0/1, provisional counts,
-- presence mark or nil, subject voted 0/1, new voters of the network not yet leaked away,
-- view counted 0/1} (hashes as flat field/value lists; the sixth decides the
-- proof-of-work asked).
local duel = redis.call('HGETALL', KEYS[1])
if #duel == 0 then return {} end
local viewed = 0
if KEYS[8] and ARGV[6] and ARGV[6] ~= '' then
  -- A view of the page, once per voter and day (the counter stays, the set expires).
  viewed = redis.call('SADD', KEYS[8], 'view:' .. ARGV[6])
  if viewed == 1 then
    redis.call('HINCRBY', KEYS[7], ARGV[7] .. ':views', 1)
    redis.call('EXPIRE', KEYS[8], tonumber(ARGV[8]))
  end
end
local voted, mark, subject_voted = 0, false, 0
if ARGV[1] ~= '' then
  voted = redis.call('SISMEMBER', KEYS[2], ARGV[1])
  mark = redis.call('HGET', KEYS[4], ARGV[1])
end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'competition') == ARGV[4] then
  subject_voted = redis.call('SISMEMBER', KEYS[5], ARGV[2])
end
local minted = new_voters(KEYS[6], tonumber(ARGV[5]), ARGV[3] == '1')  -- new_voters.lua
return {duel, voted, redis.call('HGETALL', KEYS[3]), mark, subject_voted, minted, viewed}
