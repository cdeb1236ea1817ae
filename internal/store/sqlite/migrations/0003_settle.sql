-- settle_at (unix ms) is set while a delayed debit is processing; the
-- settlement sweeper reads it through this index on any node.
ALTER TABLE payment_intents ADD COLUMN settle_at INTEGER;
CREATE INDEX payment_intents_settle ON payment_intents (settle_at) WHERE settle_at IS NOT NULL;
ALTER TABLE setup_intents ADD COLUMN settle_at INTEGER;
CREATE INDEX setup_intents_settle ON setup_intents (settle_at) WHERE settle_at IS NOT NULL;
