-- POST /v1/customers with a small form body, authenticated with Bearer.
-- PAYD_KEY: the secret key (default sk_test_bench).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"
local n = 0

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
  n = n + 1
  local body = "email=wrk" .. n .. "%40example.com&name=Wrk+Customer+" .. n .. "&metadata[run]=wrk"
  return wrk.format("POST", "/v1/customers", nil, body)
end
