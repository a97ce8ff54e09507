-- wrk script for bench/api_bench.py: counts response statuses and, in POST mode,
-- sends a new valid comment with a unique body on every request.
--
-- Environment (read when wrk loads the script, so GET modes keep wrk's static request):
--   WRK_MODE   "get" (default) or "post"
--   WRK_NONCE  a string that makes this run's POST bodies differ from every other run's
-- At the end it prints one line: STATUS_COUNTS {"200":1234,...}

local mode = os.getenv("WRK_MODE") or "get"
local nonce = os.getenv("WRK_NONCE") or "0"

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("tid", thread_count)
   table.insert(threads, thread)
end

counts = {}
sent = 0

if mode == "post" then
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"

   function request()
      sent = sent + 1
      local body = string.format(
         '{"name":"Bench writer %d","email":"bench-writer-%d@example.org",' ..
         '"body":"Load-test comment %s-%d-%d: the same text never comes twice."}',
         tid, tid, nonce, tid, sent)
      return wrk.format("POST", nil, nil, body)
   end
end

function response(status, headers, body)
   local key = tostring(status)
   counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      local thread_counts = thread:get("counts") or {}
      for status, n in pairs(thread_counts) do
         total[status] = (total[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(total) do
      table.insert(parts, string.format('"%s":%d', status, n))
   end
   table.sort(parts)
   io.write("STATUS_COUNTS {" .. table.concat(parts, ",") .. "}\n")
end
