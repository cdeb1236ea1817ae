CREATE TABLE accounts (
	id TEXT PRIMARY KEY,
	created INTEGER NOT NULL
);

CREATE TABLE api_keys (
	key TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	kind TEXT NOT NULL,
	created INTEGER NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- Stored responses of Idempotency-Key requests. locked_at (unix ms) is the
-- lease of the request in flight; state 0 = in flight, 1 = done.
CREATE TABLE idempotency_keys (
	account_id TEXT NOT NULL,
	key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	state INTEGER NOT NULL,
	status INTEGER NOT NULL,
	body BLOB,
	created INTEGER NOT NULL,
	locked_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);

-- seq is the rowid: it grows with every insert (rows are never physically
-- deleted, so SQLite never reuses a value) and orders objects created in the
-- same second.
CREATE TABLE customers (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created INTEGER NOT NULL,
	email TEXT,
	data BLOB NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customers_list ON customers (account_id, deleted, created, seq);
CREATE INDEX customers_email ON customers (account_id, deleted, email, created, seq);

-- Events are the outbox: written in the same transaction as the change they
-- describe; delivery state is added by the webhook worker's migrations.
CREATE TABLE events (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created INTEGER NOT NULL,
	type TEXT NOT NULL,
	data BLOB NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_list ON events (account_id, deleted, created, seq);
CREATE INDEX events_type ON events (account_id, deleted, type, created, seq);
