-- settle_at (unix ms) is set while a refund waits to settle (Stripe's
-- pending-refund and failing-refund test cards); the sweeper reads it
-- through this index on any node.
ALTER TABLE refunds ADD COLUMN settle_at BIGINT;
CREATE INDEX refunds_settle ON refunds (settle_at) WHERE settle_at IS NOT NULL;
