-- Most payments have no customer; their rows need no entry in the indexes
-- that lists filtered by customer read (customer = … implies customer IS
-- NOT NULL, so the planners still use them). One index write less per
-- PaymentMethod, PaymentIntent, SetupIntent, Charge and Checkout Session
-- created without a customer.
DROP INDEX payment_methods_customer;
CREATE INDEX payment_methods_customer ON payment_methods (account_id, deleted, customer, created, seq) WHERE customer IS NOT NULL;
DROP INDEX payment_intents_customer;
CREATE INDEX payment_intents_customer ON payment_intents (account_id, deleted, customer, created, seq) WHERE customer IS NOT NULL;
DROP INDEX setup_intents_customer;
CREATE INDEX setup_intents_customer ON setup_intents (account_id, deleted, customer, created, seq) WHERE customer IS NOT NULL;
DROP INDEX charges_customer;
CREATE INDEX charges_customer ON charges (account_id, deleted, customer, created, seq) WHERE customer IS NOT NULL;
DROP INDEX checkout_sessions_customer;
CREATE INDEX checkout_sessions_customer ON checkout_sessions (account_id, deleted, customer, created, seq) WHERE customer IS NOT NULL;
