-- Rotating refresh: every connection follows its own chain. A thread starts from its share of the
-- seed tokens (BENCH_TOKENS, one a line) and queues the refresh_token of every answer for the next
-- request, so each token is spent exactly once. BENCH_BODY: the form body with TOKEN.
local threads = 0
local debug = os.getenv("BENCH_DEBUG")
local body_template = os.getenv("BENCH_BODY")

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  queue = {}
  head = 1
  tail = 0
  local n = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if n % tonumber(os.getenv("BENCH_THREADS")) == id then
      tail = tail + 1
      queue[tail] = line
    end
    n = n + 1
  end
end

function request()
  local token = queue[head]
  if token then
    queue[head] = nil
    head = head + 1
  else
    token = "exhausted"
  end
  if debug == "2" then
    print("send " .. id .. " " .. token)
  end
  local body = body_template:gsub("TOKEN", token)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  if debug and status ~= 200 then
    print("recv " .. id .. " " .. status .. " " .. body:sub(1, 100))
  end
  local next_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if next_token then
    tail = tail + 1
    queue[tail] = next_token
  end
end
