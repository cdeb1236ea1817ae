// Command paydbench is payd serve plus net/http/pprof on a second loopback
// listener, for profiling the server under bench/run.sh (PROFILE=1). It
// runs exactly the server payd runs (server.Run over engine.Open); only the
// profiling endpoint is added.
//
//	paydbench --addr 127.0.0.1:4242 --db sqlite:bench/results/sqlite.db \
//	    --key sk_test_bench:pk_test_bench --pprof 127.0.0.1:6060
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"

	"github.com/payd/payd/internal/account"
	"github.com/payd/payd/internal/server"
	"github.com/payd/payd/internal/store/engine"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4242", "API listen address")
	db := flag.String("db", "sqlite:payd.db", "database: sqlite:PATH or postgres://…")
	key := flag.String("key", "sk_test_bench:pk_test_bench", "account key pair SK:PK")
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "net/http/pprof listen address (loopback)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	pair, err := account.ParsePair(*key)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	ln, err := net.Listen("tcp", *pprofAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, mux)

	server.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := engine.Open(ctx, *db)
	if err != nil {
		log.Error("open database", "err", err)
		os.Exit(1)
	}
	err = server.Run(ctx, server.Config{
		Addr: *addr, Store: st, Keys: []account.Pair{pair}, Logger: log,
		Ready: func(bound string, _ []account.Pair) {
			fmt.Printf("paydbench listening on http://%s, pprof on http://%s/debug/pprof/\n", bound, ln.Addr())
		},
	})
	st.Close()
	if err != nil {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}
