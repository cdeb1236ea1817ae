-- POST /v1/payment_intents with payment_method=pm_card_visa&confirm=true:
-- create and confirm in one request (a PaymentMethod from the test token, a
-- succeeded Charge, the intent succeeded, and their events). Bearer auth.
-- PAYD_KEY: the secret key.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"

wrk.method = "POST"
wrk.path = "/v1/payment_intents"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "amount=2000&currency=usd&payment_method_types[]=card&payment_method=pm_card_visa&confirm=true"
