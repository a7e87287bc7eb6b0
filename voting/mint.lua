-- New voters of one network for one duel outside the vote page's own step: counting the
-- voter a presence scan minted, or reading the count for a proof-of-work challenge
-- (new_voters.lua, the same count as page.lua's).
-- KEYS: 1 rate:mint, 2 duel hash
-- ARGV: 1 interval µs (a minute / the burst allowance), 2 "1": count a new voter
-- Returns {new voters not yet leaked away, the duel's admission mode or ""}.
return {
  new_voters(KEYS[1], tonumber(ARGV[1]), ARGV[2] == '1'),
  redis.call('HGET', KEYS[2], 'admission') or '',
}
