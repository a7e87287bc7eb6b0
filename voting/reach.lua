-- Count one reach event (a video played / watched to the end, a click on an
-- apprenticeship link) once per voter and day. All keys share one hash tag: the duel's
-- for plays, the competition's for clicks.
-- KEYS: 1 the day's "seen" set, 2 the counter hash, 3 the duel hash (optional: given, the
--       duel must exist and ARGV[3] must be one of its teams)
-- ARGV: 1 the "seen" member (what, and who), 2 seconds the "seen" set lives, 3 the team
--       (checked against the duel when KEYS[3] is given), 4.. counter fields to add 1 to
-- Returns 'unknown_duel', 'team_not_in_duel', 1 (counted) or 0 (already counted today).
if KEYS[3] then
  local sides = redis.call('HMGET', KEYS[3], 'home', 'away')
  if not sides[1] then return 'unknown_duel' end
  if ARGV[3] == '' or (ARGV[3] ~= sides[1] and ARGV[3] ~= sides[2]) then
    return 'team_not_in_duel'
  end
end
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
for i = 4, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
return 1
