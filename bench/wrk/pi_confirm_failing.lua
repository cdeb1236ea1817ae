-- POST /v1/payment_intents with confirm=true, as pi_confirm.lua, except that
-- one request in FAIL_EVERY (20) is an Amazon Pay create+confirm without a
-- return_url: it fails (400) after its PaymentMethod and created event were
-- written, so its group commit must undo it without losing its neighbours.
-- Measures what a client sending such requests costs the others.
-- PAYD_KEY: the secret key.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"
local every = tonumber(os.getenv("FAIL_EVERY") or "20")

wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local good = "amount=2000&currency=usd&payment_method_types[]=card&payment_method=pm_card_visa&confirm=true"
local bad = "amount=2000&currency=usd&payment_method_types[]=amazon_pay&payment_method_data[type]=amazon_pay&confirm=true"
local n = 0

function request()
  n = n + 1
  if n % every == 0 then
    return wrk.format("POST", "/v1/payment_intents", nil, bad)
  end
  return wrk.format("POST", "/v1/payment_intents", nil, good)
end
