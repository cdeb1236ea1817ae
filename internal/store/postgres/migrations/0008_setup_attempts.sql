-- A SetupIntent's confirmations (Stripe's SetupAttempt), listed by intent.
CREATE TABLE setup_attempts (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	setup_intent TEXT NOT NULL,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX setup_attempts_setup_intent ON setup_attempts (account_id, deleted, setup_intent, created, seq);
