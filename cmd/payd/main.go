// Command payd is a self-hostable payments server that speaks Stripe's API.
//
//	payd serve [--addr 127.0.0.1:4242] [--db sqlite:payd.db] [--key SK:PK]... [--log-level info]
//	payd version
//	payd listen --forward-to URL [--events TYPES]
//	payd trigger EVENT_TYPE
//	payd events tail|resend|deliveries
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/payd/payd/internal/account"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/server"
	"github.com/payd/payd/internal/store/engine"
	"github.com/payd/payd/internal/version"
	"github.com/payd/payd/internal/webhook"
)

const usage = `payd — a payments server that speaks Stripe's API.

Usage:
  payd serve [flags]            run the server (the default when no command is given)
  payd version                  print payd's version and the Stripe API version it speaks
  payd help [COMMAND]           show this help, or a command's

Talking to a running payd (--api-key or PAYD_API_KEY, --api-base or PAYD_API_BASE):
  payd listen --forward-to URL  receive webhooks locally and forward them, signed, to your app
  payd trigger EVENT_TYPE       create the objects that cause an event (payment_intent.succeeded, …)
  payd events tail              print new events as they happen
  payd events resend EVENT_ID   deliver an event to its webhook endpoints again
  payd events deliveries EVENT_ID
                                show an event's webhook delivery attempts

Run "payd COMMAND --help" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "payd %s (Stripe API %s)\n", version.Version, version.APIVersion)
		return 0
	case "listen":
		return listenCmd(args, stdout, stderr)
	case "trigger":
		return triggerCmd(args, stdout, stderr)
	case "events":
		return eventsCmd(args, stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 0 && args[0] != "help" {
			return run([]string{args[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "payd: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// keyList collects repeated --key flags.
type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error { *k = append(*k, v); return nil }

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("PAYD_ADDR", "127.0.0.1:4242"), "listen address HOST:PORT (env PAYD_ADDR)")
	db := fs.String("db", envOr("PAYD_DB", engine.Default), "database: sqlite:PATH or postgres://USER@HOST:PORT/DB (env PAYD_DB)")
	logLevel := fs.String("log-level", envOr("PAYD_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env PAYD_LOG_LEVEL)")
	settleDelay := fs.Duration("debit-settle-delay", envDuration("PAYD_DEBIT_SETTLE_DELAY", processor.DefaultSettleDelay), "how long test bank debits stay processing before they settle (env PAYD_DEBIT_SETTLE_DELAY)")
	webhookTimeout := fs.Duration("webhook-timeout", envDuration("PAYD_WEBHOOK_TIMEOUT", webhook.DefaultTimeout), "how long a webhook receiver has to answer 2xx before the attempt counts as failed (env PAYD_WEBHOOK_TIMEOUT)")
	webhookRetries := fs.String("webhook-retry-schedule", envOr("PAYD_WEBHOOK_RETRY_SCHEDULE", webhook.DefaultSchedule.String()), "waits between failed webhook attempts, comma-separated; \"none\" for no retries (env PAYD_WEBHOOK_RETRY_SCHEDULE)")
	var keys keyList
	fs.Var(&keys, "key", "declare an account with exactly these keys, SK:PK; repeatable (env PAYD_KEYS, comma-separated)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: payd serve [flags]\n\nWith no flags payd listens on 127.0.0.1:4242, stores everything in ./payd.db\nand creates a test account on first start, printing its keys.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "payd serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if len(keys) == 0 && os.Getenv("PAYD_KEYS") != "" {
		keys = strings.Split(os.Getenv("PAYD_KEYS"), ",")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "payd serve: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	schedule, err := webhook.ParseSchedule(*webhookRetries)
	if err != nil {
		fmt.Fprintf(stderr, "payd serve: --webhook-retry-schedule: %v\n", err)
		return 2
	}
	var pairs []account.Pair
	for _, k := range keys {
		p, err := account.ParsePair(k)
		if err != nil {
			fmt.Fprintf(stderr, "payd serve: --key: %v\n", err)
			return 2
		}
		pairs = append(pairs, p)
	}

	server.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := engine.Open(ctx, *db)
	if err != nil {
		log.Error("open database", "err", err)
		return 1
	}
	err = server.Run(ctx, server.Config{
		Addr: *addr, Store: st, Keys: pairs, Logger: log, DebitSettleDelay: *settleDelay,
		Webhooks: webhook.Config{Timeout: *webhookTimeout, Schedule: schedule},
		Ready: func(bound string, accounts []account.Pair) {
			fmt.Fprintf(stdout, "payd %s listening on http://%s (database %s)\n", version.Version, bound, redactURL(*db))
			for _, a := range accounts {
				fmt.Fprintf(stdout, "account %s\n  secret key:      %s\n  publishable key: %s\n", a.Account, a.Secret, a.Publishable)
			}
			fmt.Fprintf(stdout, "try: curl http://%s/v1/customers -u %s: -d email=jenny@example.com\n", bound, accounts[0].Secret)
		},
	})
	if cerr := st.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// redactURL hides a password in a database URL before printing it.
func redactURL(u string) string {
	at := strings.Index(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 {
		return u
	}
	creds := u[scheme+3 : at]
	if user, _, ok := strings.Cut(creds, ":"); ok {
		return u[:scheme+3] + user + ":***" + u[at:]
	}
	return u
}
