-- GET /v1/payment_intents/:id of a random seeded intent, with Basic auth as
-- Stripe's SDKs send it. PAYD_IDS: file of PaymentIntent ids, one per line
-- (bench/cmd/seed --resource payment_intents --ids).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local key = os.getenv("PAYD_KEY") or "sk_test_bench"
local idsPath = os.getenv("PAYD_IDS") or error("set PAYD_IDS to a file of PaymentIntent ids")
local ids = {}
for line in io.lines(idsPath) do
  if line ~= "" then ids[#ids + 1] = line end
end
assert(#ids > 0, "no ids in " .. idsPath)

local function b64(s)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

wrk.headers["Authorization"] = "Basic " .. b64(key .. ":")

function init(args)
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", "/v1/payment_intents/" .. ids[math.random(#ids)])
end
