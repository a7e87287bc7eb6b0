-- New voters of one network for one duel (open mode's burst detector), outside the vote
-- page's own step: counting the voter a presence scan minted, or reading the count for a
-- proof-of-work challenge. The count leaks like the page's (page.lua): the key holds a GCRA
-- arrival time in µs, one interval per new voter, so a burst counts the same whichever
-- second of the minute it starts.
-- KEYS: 1 rate:mint, 2 duel hash
-- ARGV: 1 interval µs (a minute / the burst allowance), 2 "1": count a new voter
-- Returns {new voters not yet leaked away, the duel's admission mode or ""}.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
if ARGV[2] == '1' then
  tat = tat + interval
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
end
return {math.ceil((tat - now) / interval), redis.call('HGET', KEYS[2], 'admission') or ''}
