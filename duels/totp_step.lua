-- Use a TOTP step once: refuse a step at or before the account's last used one, else
-- record it. One script, so two logins racing with the same code cannot both pass.
-- KEYS[1] the account hash; ARGV[1] the step. Returns 1 (used now) or 0 (replay).
local last = tonumber(redis.call('HGET', KEYS[1], 'totp_step') or '-1')
local step = tonumber(ARGV[1])
if last ~= nil and step <= last then
  return 0
end
redis.call('HSET', KEYS[1], 'totp_step', ARGV[1])
return 1
