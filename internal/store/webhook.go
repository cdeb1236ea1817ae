package store

import "context"

// Outbox is the storage side of webhook delivery. Events are the outbox;
// these methods keep its work queue: which endpoints an event goes to, one
// delivery row per (event, endpoint) written in the event's transaction,
// leases that let any number of workers on any number of nodes take rows
// without sending one twice at the same time, and one row per attempt.
// They are typed rather than built on Insert/List because claiming needs
// SQL the generic methods cannot express (FOR UPDATE SKIP LOCKED, an
// UPDATE … RETURNING that takes and leases rows in one statement).
type Outbox interface {
	// WebhookSubscribers returns the account's enabled, undeleted
	// webhook endpoints: what an event being recorded may go to.
	WebhookSubscribers(ctx context.Context, account string) ([]Subscriber, error)
	// InsertDeliveries writes pending deliveries, whose ids the caller has
	// just minted: like InsertNew's rows, the engine may send them with
	// the transaction's next statement or its commit.
	InsertDeliveries(ctx context.Context, ds []Delivery) error
	// NextDeliveryAt returns the earliest next_attempt_at (unix ms) of
	// any pending delivery, and false when there is none; workers sleep
	// until then.
	NextDeliveryAt(ctx context.Context) (int64, bool, error)
	// DueEndpoints returns up to limit endpoints, in id order after after,
	// that have a pending delivery due at now (unix ms). It costs a few
	// index lookups per endpoint with pending deliveries, however many
	// deliveries each has.
	DueEndpoints(ctx context.Context, now int64, after string, limit int) ([]string, error)
	// ClaimDeliveries leases up to q.Limit pending deliveries of
	// q.Endpoint due at q.Now, oldest first, skipping rows another
	// transaction holds: each row's next_attempt_at becomes q.LeaseUntil
	// and its lease q.Lease, so it is due again by itself if its worker
	// dies.
	ClaimDeliveries(ctx context.Context, q Claim) ([]Delivery, error)
	// EventData returns the stored JSON of the account's events named by
	// ids, keyed by id (missing ones are absent): the bodies of a claimed
	// batch of deliveries, read in one round trip.
	EventData(ctx context.Context, account string, ids []string) (map[string][]byte, error)
	// FinishAttempt records one attempt of d and, when d's lease is still
	// lease, moves d to d.Status / d.NextAttemptAt (0 = none) and releases
	// the lease. It reports whether the row was updated: false means the
	// lease expired and another worker owns the row now.
	FinishAttempt(ctx context.Context, d Delivery, lease string, a Attempt) (bool, error)
	// AbandonDelivery marks a pending delivery failed without an attempt
	// (its endpoint was disabled or deleted), under the same lease rule.
	AbandonDelivery(ctx context.Context, id, lease string) (bool, error)
	// EventDeliveries lists an event's deliveries, oldest first, with
	// their attempts.
	EventDeliveries(ctx context.Context, account, event string) ([]Delivery, error)
	// EndpointHealth records the outcome of an attempt for its endpoint:
	// a success clears the endpoint's failing streak; a failure starts
	// one at now (unix ms) unless one is running. It returns when the
	// current streak started, 0 when there is none.
	EndpointHealth(ctx context.Context, account, endpoint string, ok bool, now int64) (int64, error)
}

// Subscriber is an enabled webhook endpoint, reduced to what fan-out needs.
type Subscriber struct {
	ID  string
	URL string
	// Events are the enabled event types; "*" means every type.
	Events []string
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event to be sent to one endpoint.
type Delivery struct {
	ID       string
	Account  string
	Event    string
	Endpoint string
	// URL is where the delivery was (or will first be) sent.
	URL     string
	Status  string
	Created int64
	// NextAttemptAt is unix ms, 0 once the delivery is finished. While a
	// worker holds the delivery it is the end of that worker's lease.
	NextAttemptAt int64
	// Attempts counts the attempts made so far.
	Attempts int
	// History holds the attempts, oldest first; only EventDeliveries
	// fills it.
	History []Attempt
}

// Attempt is one HTTP POST of a delivery.
type Attempt struct {
	// AttemptedAt is unix ms.
	AttemptedAt int64
	// HTTPStatus is 0 when no response came back.
	HTTPStatus      int
	LatencyMS       int64
	ResponseExcerpt string
	// Error is the transport error ("" when a response came back).
	Error string
}

// Claim asks for one endpoint's due deliveries. Claims are per endpoint
// so that a worker can hold each endpoint to its own number of attempts in
// flight: one slow endpoint then never takes every slot.
type Claim struct {
	Endpoint        string
	Now, LeaseUntil int64
	Lease           string
	Limit           int
}
