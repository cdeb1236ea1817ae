-- POST /v1/checkout/sessions: a payment-mode session for one price
-- (PAYD_PRICE), Bearer auth. PAYD_KEY: the secret key.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"
local price = os.getenv("PAYD_PRICE") or "price_missing"

wrk.method = "POST"
wrk.path = "/v1/checkout/sessions"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "mode=payment&line_items[0][price]=" .. price .. "&line_items[0][quantity]=1" ..
	"&success_url=https://example.com/success?session_id={CHECKOUT_SESSION_ID}&cancel_url=https://example.com/cancel"
