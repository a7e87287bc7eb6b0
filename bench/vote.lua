-- wrk script of bench/vote_bench.py: every request is a different pre-minted voter.
-- wrk -s bench/vote.lua <url> -- <ballots file> <threads> <path>
-- Ballots file: one "<Cookie header> <team id>" per line ("-": none). Thread k takes lines
-- k, k+T, ...
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, count, path = args[1], tonumber(args[2]), args[3]
  requests_ = {}
  local n = 0
  for line in io.lines(file) do
    if n % count == index then
      local cookie, team = line:match("^(%S+) (%S+)$")
      local headers = {["Content-Type"] = "application/json"}
      if cookie ~= "-" then headers["Cookie"] = cookie end
      requests_[#requests_ + 1] = wrk.format("POST", path, headers, '{"team_id":"' .. team .. '"}')
    end
    n = n + 1
  end
  next_ = 0
end

function request()
  next_ = next_ + 1
  return requests_[(next_ - 1) % #requests_ + 1]
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
