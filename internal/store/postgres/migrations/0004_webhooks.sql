-- Webhook endpoints are object tables like the others. url, status and
-- enabled_events (comma-separated; "*" for all) are columns so that
-- recording an event finds its subscribers without decoding JSON;
-- failing_since (unix ms) starts the endpoint's current run of failed
-- deliveries and is cleared by any success. The signing secret lives in
-- private and is rendered only by create.
CREATE TABLE webhook_endpoints (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	url TEXT NOT NULL,
	status TEXT NOT NULL,
	enabled_events TEXT NOT NULL,
	failing_since BIGINT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (account_id, deleted, created, seq);
CREATE INDEX webhook_endpoints_status ON webhook_endpoints (account_id, deleted, status, created, seq);

-- One row per (event, endpoint) to send, written in the event's own
-- transaction: the outbox's work queue. next_attempt_at (unix ms) is when
-- a worker may next take the row; claiming it moves next_attempt_at to the
-- end of the claim's lease and stamps lease, so a row claimed by a node that
-- died becomes due again by itself. It is NULL once the row is finished
-- (succeeded or failed). The two partial indexes cover only pending rows:
-- one finds the earliest due row of the whole queue, the other walks the
-- endpoints that have pending rows and takes each one's oldest, so that a
-- long backlog for one endpoint is never scanned to reach another's.
CREATE TABLE webhook_deliveries (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	event_id TEXT NOT NULL,
	endpoint_id TEXT NOT NULL,
	url TEXT NOT NULL,
	status TEXT NOT NULL,
	created BIGINT NOT NULL,
	next_attempt_at BIGINT,
	attempts INTEGER NOT NULL DEFAULT 0,
	lease TEXT
);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (account_id, event_id, seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';

-- Every HTTP attempt of a delivery, kept for the deliveries API.
CREATE TABLE webhook_attempts (
	seq BIGSERIAL PRIMARY KEY,
	delivery_id TEXT NOT NULL,
	attempted_at BIGINT NOT NULL,
	http_status INTEGER,
	latency_ms BIGINT NOT NULL,
	response_excerpt TEXT NOT NULL,
	error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, seq);
