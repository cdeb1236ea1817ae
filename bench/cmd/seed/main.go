// Command seed fills a payd database with customers (the default) or
// PaymentIntents for benchmarks, through the real domain code: every object
// is decoded from a form body by the same decoder the API uses and created
// by the resource's Service.Create inside store.Update, so each row and its
// events are exactly what the API would have written.
//
//	go run ./bench/cmd/seed --db sqlite:bench/results/sqlite.db \
//	    --key sk_test_bench:pk_test_bench --n 1000000 --ids bench/results/sqlite.ids
//	go run ./bench/cmd/seed --resource payment_intents --db sqlite:bench/results/sqlite-pi.db \
//	    --n 1000000 --ids bench/results/sqlite-pi.payment_intents.ids
//
// --resource customers: POST /v1/customers bodies (email, name, description,
// metadata) through customer.Service.Create.
//
// --resource payment_intents: POST /v1/payment_intents bodies through
// paymentintent.Service.Create, wired as the API wires it (internal/api
// New: customer, paymentmethod and paymentintent Services over the built-in
// processor.Test). Of every --confirm-every intents one is created with
// payment_method=pm_card_visa&confirm=true (so it succeeds, with its
// PaymentMethod, Charge and events, as POST … confirm=true writes them); the
// others stay requires_payment_method, as a bare create leaves them.
//
// Seeding is incremental: the account's existing rows of the resource are
// counted and only the missing ones are created, so rerunning on a seeded
// database only rewrites the ids file (a random sample of existing ids, one
// per line, for the retrieve benchmark).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payd/payd/internal/account"
	"github.com/payd/payd/internal/api/form"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/engine"
	"github.com/payd/payd/internal/store/sqlstore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run() error {
	db := flag.String("db", "sqlite:bench/results/sqlite.db", "database: sqlite:PATH or postgres://…")
	key := flag.String("key", "sk_test_bench:pk_test_bench", "account key pair SK:PK (provisioned like payd serve --key)")
	resource := flag.String("resource", "customers", "what to seed: customers or payment_intents")
	n := flag.Int("n", 1_000_000, "number of objects of --resource the account should have")
	batch := flag.Int("batch", 2000, "objects per transaction")
	confirmEvery := flag.Int("confirm-every", 4, "payment_intents: create one in this many with pm_card_visa and confirm=true (0: none)")
	workers := flag.Int("workers", 0, "concurrent writer transactions (0: 1 for SQLite, 2 for PostgreSQL)")
	idsPath := flag.String("ids", "", "write a random sample of the resource's ids to this file, one per line")
	idsCount := flag.Int("ids-count", 10000, "how many ids to sample into --ids")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	pair, err := account.ParsePair(*key)
	if err != nil {
		return err
	}
	st, err := engine.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	pairs, err := account.Ensure(ctx, st, []account.Pair{pair}, time.Now())
	if err != nil {
		return err
	}
	acct := pairs[0].Account
	sdb, ok := st.(*sqlstore.DB)
	if !ok {
		return errors.New("store is not a *sqlstore.DB")
	}

	var table string
	var create createFunc
	switch *resource {
	case "customers":
		table, create = "customers", customerCreator()
	case "payment_intents":
		table, create = paymentintent.Table, intentCreator(*confirmEvery)
	default:
		return fmt.Errorf("--resource %q: want customers or payment_intents", *resource)
	}

	var have int
	if err := sdb.W.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE account_id = $1", acct).Scan(&have); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	fmt.Printf("seed: %s account %s has %d %s, wants %d\n", redact(*db), acct, have, table, *n)

	if missing := *n - have; missing > 0 {
		if *workers <= 0 {
			*workers = 1
			if st.Engine() == "postgres" {
				*workers = 2
			}
		}
		if err := seed(ctx, st, acct, table, create, have, missing, *batch, *workers); err != nil {
			return err
		}
	}

	if *idsPath != "" {
		start := time.Now()
		rows, err := sdb.R.QueryContext(ctx, "SELECT id FROM "+table+" WHERE account_id = $1 AND deleted = $2 ORDER BY random() LIMIT $3", acct, false, *idsCount)
		if err != nil {
			return fmt.Errorf("sample ids: %w", err)
		}
		defer rows.Close()
		f, err := os.Create(*idsPath)
		if err != nil {
			return err
		}
		k := 0
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				f.Close()
				return err
			}
			fmt.Fprintln(f, s)
			k++
		}
		if err := rows.Err(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Printf("seed: wrote %d sampled ids to %s in %s\n", k, *idsPath, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// createFunc creates the i-th object of the seeded resource in tx.
type createFunc func(ctx context.Context, tx store.Tx, acct string, i int) error

func customerCreator() createFunc {
	svc := &customer.Service{Now: time.Now}
	return func(ctx context.Context, tx store.Tx, acct string, i int) error {
		p, err := params(i)
		if err != nil {
			return err
		}
		_, _, err = svc.Create(ctx, tx, acct, p)
		return err
	}
}

// intentCreator wires paymentintent.Service as internal/api New does.
func intentCreator(confirmEvery int) createFunc {
	now := time.Now
	proc := &processor.Test{SettleDelay: processor.DefaultSettleDelay, Now: now}
	customers := &customer.Service{Now: now}
	methods := &paymentmethod.Service{Now: now, Customers: customers, Processor: proc}
	svc := &paymentintent.Service{Now: now, Processor: proc, Methods: methods, Customers: customers,
		AuthorizeURL: func(_ context.Context, intentID, token string) string {
			return "http://127.0.0.1:4242/_payd/authorize/" + intentID + "?token=" + token
		}}
	return func(ctx context.Context, tx store.Tx, acct string, i int) error {
		p, err := intentParams(i, confirmEvery > 0 && i%confirmEvery == 0)
		if err != nil {
			return err
		}
		_, err = svc.Create(ctx, tx, acct, p)
		return err
	}
}

// seed creates missing objects in transactions of batch objects, with
// workers transactions in flight at once.
func seed(ctx context.Context, st store.Store, acct, table string, create createFunc, base, missing, batch, workers int) error {
	var next, done atomic.Int64
	start := time.Now()
	stopProgress := make(chan struct{})
	var progress sync.WaitGroup
	progress.Add(1)
	go func() {
		defer progress.Done()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				d := done.Load()
				el := time.Since(start).Seconds()
				eta := time.Duration(float64(int64(missing)-d) / (float64(d) / el) * float64(time.Second))
				fmt.Printf("seed: %d/%d  %.0f %s/s  eta %s\n", d, missing, float64(d)/el, table, eta.Round(time.Second))
			}
		}
	}()

	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				from := int(next.Add(int64(batch))) - batch
				if from >= missing {
					return
				}
				to := min(from+batch, missing)
				err := st.Update(ctx, func(tx store.Tx) error {
					for i := from; i < to; i++ {
						// The API tags each event with its request id.
						cctx := event.WithRequest(ctx, "req_"+id.Random(14), "")
						if err := create(cctx, tx, acct, base+i); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
				done.Add(int64(to - from))
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	progress.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("seed: created %d %s in %s (%.0f %s/s, %d workers, %d per transaction, GOMAXPROCS %d)\n",
		missing, table, el.Round(time.Millisecond), float64(missing)/el.Seconds(), table, workers, batch, runtime.GOMAXPROCS(0))
	return nil
}

// params decodes a realistic create body with the API's own form decoder
// and schema validation.
func params(i int) (param.Map, error) {
	n := strconv.Itoa(i)
	body := "email=customer" + n + "%40example.com&name=Customer+" + n +
		"&description=Seeded+by+bench%2Fcmd%2Fseed&metadata[seq]=" + n
	tree, err := form.DecodeRequest(body, "POST /v1/customers")
	if err != nil {
		return nil, fmt.Errorf("decode %q: %w", body, err)
	}
	return param.Map(tree), nil
}

// intentParams decodes a create body like the wrk scripts send (pi_create.lua,
// or pi_confirm.lua when confirm is set), with a description and metadata.
func intentParams(i int, confirm bool) (param.Map, error) {
	n := strconv.Itoa(i)
	body := "amount=" + strconv.Itoa(500+i%10000) + "&currency=usd&payment_method_types[]=card" +
		"&description=Seeded+by+bench%2Fcmd%2Fseed&metadata[seq]=" + n
	if confirm {
		body += "&payment_method=pm_card_visa&confirm=true"
	}
	tree, err := form.DecodeRequest(body, "POST /v1/payment_intents")
	if err != nil {
		return nil, fmt.Errorf("decode %q: %w", body, err)
	}
	return param.Map(tree), nil
}

func redact(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return db
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}
