-- Authorization-code exchange with pre-minted codes: each thread spends its share of the codes
-- in the file once, then stops (a code is single use). BENCH_CODES: one code a line.
-- BENCH_BODY: the form body with CODE where the code goes.
local threads = 0
local debug = os.getenv("BENCH_DEBUG")
local body_template = os.getenv("BENCH_BODY")

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  codes = {}
  local n = 0
  for line in io.lines(os.getenv("BENCH_CODES")) do
    if n % tonumber(os.getenv("BENCH_THREADS")) == id then
      table.insert(codes, line)
    end
    n = n + 1
  end
  sent = 0
  received = 0
end

function request()
  sent = sent + 1
  local code = codes[sent] or "exhausted"
  local body = body_template:gsub("CODE", code)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  if debug and status ~= 200 then
    print("recv " .. id .. " " .. status .. " " .. body:sub(1, 100))
  end
  received = received + 1
  if received >= #codes then
    wrk.thread:stop()
  end
end
