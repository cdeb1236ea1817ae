-- GET /v1/payment_intents?limit=10: the newest page of the account's intents.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"
wrk.headers["Authorization"] = "Bearer " .. key

function request()
  return wrk.format("GET", "/v1/payment_intents?limit=10")
end
