-- Disputes of charges (Stripe's dispute), listed by charge and by intent.
CREATE TABLE disputes (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	charge TEXT NOT NULL,
	payment_intent TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX disputes_list ON disputes (account_id, deleted, created, seq);
CREATE INDEX disputes_charge ON disputes (account_id, deleted, charge, created, seq);
CREATE INDEX disputes_payment_intent ON disputes (account_id, deleted, payment_intent, created, seq);
