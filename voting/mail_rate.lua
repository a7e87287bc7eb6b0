-- Verification mails per address, domain and network: one fixed window per key.
-- KEYS: the counters (keys.mail_rate, one competition's hash tag).
-- ARGV[1]: window seconds; ARGV[1 + i]: the limit of KEYS[i].
-- Returns 0 when a mail may go (every counter counted it), else the seconds to wait.
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('TTL', key)
    if ttl < 1 then ttl = window end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('EXPIRE', key, window)
  end
end
return 0
