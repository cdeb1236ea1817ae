-- A SetupIntent's confirmations (Stripe's SetupAttempt), listed by intent.
CREATE TABLE setup_attempts (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created INTEGER NOT NULL,
	setup_intent TEXT NOT NULL,
	data BLOB NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0,
	private BLOB
);
CREATE INDEX setup_attempts_setup_intent ON setup_attempts (account_id, deleted, setup_intent, created, seq);
