-- Open mode's burst detector, put in front of page.lua and mint.lua when they are loaded
-- (voting/ingest.py): a network's new voters for a duel as a leaky count. The key holds a
-- GCRA arrival time in µs; each new voter adds one interval (a minute / the burst allowance)
-- and counts until that has passed. A burst counts the same whichever second it starts; a
-- clock-minute counter would forget one that started just before the minute turned.
-- Returns the new voters not yet leaked away, after counting one when `count` is true.
local function new_voters(key, interval, count)
  local clock = redis.call('TIME')
  local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
  local tat = math.max(tonumber(redis.call('GET', key)) or now, now)
  if count then
    tat = tat + interval
    redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
  end
  return math.ceil((tat - now) / interval)
end
