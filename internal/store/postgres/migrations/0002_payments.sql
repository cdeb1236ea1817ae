-- Every object table has the same base columns (see store.Record):
--   seq (bigserial, insertion order), id, account_id, created, data (the rendered
--   object), deleted, private (server-side state never rendered),
-- plus the columns its lists filter on, each with an index that ends in
-- (created, seq) so that filtered pages are keyset reads too.
ALTER TABLE customers ADD COLUMN private BYTEA;
ALTER TABLE events ADD COLUMN private BYTEA;

CREATE TABLE payment_methods (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	customer TEXT,
	type TEXT NOT NULL,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX payment_methods_list ON payment_methods (account_id, deleted, created, seq);
CREATE INDEX payment_methods_customer ON payment_methods (account_id, deleted, customer, created, seq);

CREATE TABLE payment_intents (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	customer TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX payment_intents_list ON payment_intents (account_id, deleted, created, seq);
CREATE INDEX payment_intents_customer ON payment_intents (account_id, deleted, customer, created, seq);

CREATE TABLE setup_intents (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	customer TEXT,
	payment_method TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX setup_intents_list ON setup_intents (account_id, deleted, created, seq);
CREATE INDEX setup_intents_customer ON setup_intents (account_id, deleted, customer, created, seq);
CREATE INDEX setup_intents_payment_method ON setup_intents (account_id, deleted, payment_method, created, seq);

CREATE TABLE charges (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	customer TEXT,
	payment_intent TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX charges_list ON charges (account_id, deleted, created, seq);
CREATE INDEX charges_customer ON charges (account_id, deleted, customer, created, seq);
CREATE INDEX charges_payment_intent ON charges (account_id, deleted, payment_intent, created, seq);

CREATE TABLE refunds (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	charge TEXT,
	payment_intent TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX refunds_list ON refunds (account_id, deleted, created, seq);
CREATE INDEX refunds_charge ON refunds (account_id, deleted, charge, created, seq);
CREATE INDEX refunds_payment_intent ON refunds (account_id, deleted, payment_intent, created, seq);

CREATE TABLE mandates (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	payment_method TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX mandates_list ON mandates (account_id, deleted, created, seq);

CREATE TABLE confirmation_tokens (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX confirmation_tokens_list ON confirmation_tokens (account_id, deleted, created, seq);

CREATE TABLE customer_sessions (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	customer TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX customer_sessions_list ON customer_sessions (account_id, deleted, created, seq);
