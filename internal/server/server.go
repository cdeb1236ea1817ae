// Package server runs payd: it opens the store, provisions accounts, serves
// the API and runs the background sweepers and the webhook worker until its
// context ends, then drains in-flight requests and deliveries and closes the
// store.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/payd/payd/internal/account"
	"github.com/payd/payd/internal/api"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/webhook"
)

// Config is the parsed command line.
type Config struct {
	Addr   string
	Store  store.Store
	Keys   []account.Pair
	Logger *slog.Logger
	// Ready, when set, receives the bound address once the listener is up.
	Ready func(addr string, keys []account.Pair)
	// DebitSettleDelay is how long delayed bank debits stay processing.
	DebitSettleDelay time.Duration
	// Webhooks configures webhook delivery (timeout, retry schedule, …);
	// Run supplies its Store and Logger.
	Webhooks webhook.Config
}

// idempotencyTTL is how long Idempotency-Keys are kept; Stripe keeps them
// for at least 24 hours.
const idempotencyTTL = 25 * time.Hour

// Run serves until ctx is canceled.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	keys, err := account.Ensure(ctx, cfg.Store, cfg.Keys, time.Now())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String(), keys)
	}
	handler := api.New(api.Config{Store: cfg.Store, Logger: log, DebitSettleDelay: cfg.DebitSettleDelay})
	srv := &http.Server{
		Handler:           handler,
		ConnContext:       api.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	go sweep(bg, log, cfg.Store)
	go settle(bg, log, handler)
	wcfg := cfg.Webhooks
	wcfg.Store, wcfg.Logger = cfg.Store, log
	worker := webhook.New(wcfg)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		worker.Run(bg)
	}()
	// The worker finishes and records the attempts it has in flight
	// before Run returns, while the store is still open.
	defer func() {
		stopBG()
		<-workerDone
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(api.Listener(ln)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// sweep prunes expired idempotency keys. Any number of nodes may run it at
// once: the delete is idempotent.
func sweep(ctx context.Context, log *slog.Logger, st store.Store) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		err := st.Update(ctx, func(tx store.Tx) error {
			n, err := tx.PruneIdempotencyKeys(ctx, time.Now().Add(-idempotencyTTL))
			if n > 0 {
				log.Debug("pruned idempotency keys", "count", n)
			}
			return err
		})
		if err != nil && ctx.Err() == nil {
			log.Warn("prune idempotency keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// settle runs the sweepers (delayed-debit and refund settlement, Checkout
// Session expiry) often enough that each happens close to its due time.
func settle(ctx context.Context, log *slog.Logger, h *api.Server) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, due := range []func(context.Context) (int, error){h.SettleDue, h.SettleDueSetupIntents, h.SettleDueRefunds, h.ExpireDueSessions} {
			settleAll(ctx, log, due)
		}
	}
}

// settleAll drains one kind of due settlement, a page at a time.
func settleAll(ctx context.Context, log *slog.Logger, due func(context.Context) (int, error)) {
	for {
		n, err := due(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("background sweep", "err", err)
			}
			return
		}
		if n < api.SweepPage {
			return
		}
	}
}
