-- wrk script of bench/webhook.sh: every request POSTs the same AdmissionReview
-- (the file named after `--`) as application/json, as the API server does.
-- The request is built once per thread after init(), so no Lua runs per
-- request and the generator costs the same for both servers. At the end one
-- line `WRK_JSON {...}` carries the figures (latencies in microseconds) for
-- bench/wrk-run.ts to parse, instead of wrk's rounded human summary.

function init(args)
  local path = args[1]
  if path == nil then error("usage: wrk ... -s wrk-admission.lua URL -- BODY_FILE") end
  local file = assert(io.open(path, "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
