-- GET PAYD_PAGE: a hosted page (a Checkout Session's url, or a Payment
-- Link's url, which opens a new session and redirects to it; wrk does not
-- follow the redirect, so each request measures the link's own work).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

wrk.method = "GET"
wrk.path = os.getenv("PAYD_PAGE") or "/"
