// Package bench holds payd's benchmarks. The load tests are bench/run.sh
// (wrk against a real payd) and bench/durability.sh; these Go benchmarks
// measure the server's CPU cost per request with no network in between:
// requests go straight into the API handler over a SQLite store in a temp
// directory.
//
//	go test ./bench -run '^$' -bench . -benchmem
package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payd/payd/internal/account"
	"github.com/payd/payd/internal/api"
	"github.com/payd/payd/internal/server"
	"github.com/payd/payd/internal/store/sqlite"
)

const secret = "sk_test_bench"

// TestMain gives the benchmarks the collector setting payd runs with.
func TestMain(m *testing.M) {
	server.TuneGC()
	os.Exit(m.Run())
}

func newHandler(b *testing.B) http.Handler {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "payd.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := account.Ensure(context.Background(), st, []account.Pair{{Secret: secret, Publishable: "pk_test_bench"}}, time.Now()); err != nil {
		b.Fatal(err)
	}
	return api.New(api.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// writes reports the bytes the process handed to write(2) and pwrite(2) per
// operation (the WAL, the checkpoint's copy into the database file), read
// from /proc/self/io; call as defer writes(b)(). Where /proc/self/io is
// missing it reports nothing.
func writes(b *testing.B) func() {
	before, ok := wchar()
	return func() {
		if after, ok2 := wchar(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(after-before)/float64(b.N), "write-B/op")
		}
	}
}

func wchar() (int64, bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func do(b *testing.B, h http.Handler, method, target, body string) []byte {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Header.Set("Authorization", "Bearer "+secret)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
	return w.Body.Bytes()
}

func createBody(i int) string {
	n := strconv.Itoa(i)
	return "email=bench" + n + "%40example.com&name=Bench+" + n + "&metadata[run]=go"
}

func seed(b *testing.B, h http.Handler, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		var c struct{ ID string }
		if err := json.Unmarshal(do(b, h, "POST", "/v1/customers", createBody(i)), &c); err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

func BenchmarkCreateCustomer(b *testing.B) {
	h := newHandler(b)
	defer writes(b)()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		do(b, h, "POST", "/v1/customers", createBody(i))
		i++
	}
}

// BenchmarkCreateCustomerParallel lets GOMAXPROCS goroutines create at once,
// so the single SQLite writer connection is the queue they share.
func BenchmarkCreateCustomerParallel(b *testing.B) {
	h := newHandler(b)
	defer writes(b)()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			do(b, h, "POST", "/v1/customers", createBody(i))
			i++
		}
	})
}

func BenchmarkRetrieveCustomer(b *testing.B) {
	h := newHandler(b)
	ids := seed(b, h, 2000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		do(b, h, "GET", "/v1/customers/"+ids[i%len(ids)], "")
		i++
	}
}

func BenchmarkListCustomers(b *testing.B) {
	h := newHandler(b)
	seed(b, h, 2000)
	b.ReportAllocs()
	for b.Loop() {
		do(b, h, "GET", "/v1/customers?limit=10", "")
	}
}

// PaymentIntents: the bodies bench/wrk/pi_create.lua and pi_confirm.lua send.
const (
	piCreateBody  = "amount=2000&currency=usd&payment_method_types[]=card"
	piConfirmBody = piCreateBody + "&payment_method=pm_card_visa&confirm=true"
)

func BenchmarkCreatePaymentIntent(b *testing.B) {
	h := newHandler(b)
	defer writes(b)()
	b.ReportAllocs()
	for b.Loop() {
		do(b, h, "POST", "/v1/payment_intents", piCreateBody)
	}
}

// BenchmarkCreateConfirmPaymentIntent creates and confirms with the test
// card in one request: a PaymentMethod, a Charge, the succeeded intent and
// their events in one transaction.
func BenchmarkCreateConfirmPaymentIntent(b *testing.B) {
	h := newHandler(b)
	defer writes(b)()
	b.ReportAllocs()
	for b.Loop() {
		do(b, h, "POST", "/v1/payment_intents", piConfirmBody)
	}
}

// BenchmarkCreateConfirmPaymentIntentParallel runs 32 clients per CPU, as
// wrk's 32 connections do, so group commit batches as it does under load.
func BenchmarkCreateConfirmPaymentIntentParallel(b *testing.B) {
	h := newHandler(b)
	defer writes(b)()
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			do(b, h, "POST", "/v1/payment_intents", piConfirmBody)
		}
	})
}

// seedIntents creates n intents, one in four confirmed (as bench/cmd/seed
// does), and returns their ids.
func seedIntents(b *testing.B, h http.Handler, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		body := piCreateBody
		if i%4 == 0 {
			body = piConfirmBody
		}
		var pi struct{ ID string }
		if err := json.Unmarshal(do(b, h, "POST", "/v1/payment_intents", body), &pi); err != nil {
			b.Fatal(err)
		}
		ids[i] = pi.ID
	}
	return ids
}

func BenchmarkRetrievePaymentIntent(b *testing.B) {
	h := newHandler(b)
	ids := seedIntents(b, h, 2000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		do(b, h, "GET", "/v1/payment_intents/"+ids[i%len(ids)], "")
		i++
	}
}

func BenchmarkListPaymentIntents(b *testing.B) {
	h := newHandler(b)
	seedIntents(b, h, 2000)
	b.ReportAllocs()
	for b.Loop() {
		do(b, h, "GET", "/v1/payment_intents?limit=10", "")
	}
}
