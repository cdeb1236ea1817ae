-- POST /v1/payment_intents: amount=2000&currency=usd&payment_method_types[]=card
-- (stays requires_payment_method), Bearer auth. PAYD_KEY: the secret key.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"

wrk.method = "POST"
wrk.path = "/v1/payment_intents"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "amount=2000&currency=usd&payment_method_types[]=card"
