package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// The client commands (listen, trigger, events) talk to a running payd the
// way any integration does: over HTTP, with a secret key and Stripe's form
// encoding. They use only the standard library so that what they send is
// exactly what a curl user would send, and so that payd's answers (a 401, a
// refused connection) can be turned into messages that name the fix.

const defaultAPIBase = "http://127.0.0.1:4242"

// apiFlags are the connection flags every client command shares.
type apiFlags struct {
	key  string
	base string
}

// register declares the flags. Their environment variables are read after
// parsing rather than used as defaults, so that --help never prints a key.
func (f *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.key, "api-key", "", "payd's secret `KEY`, sk_test_… (env PAYD_API_KEY; payd serve prints it)")
	fs.StringVar(&f.base, "api-base", "", "the `URL` of payd (env PAYD_API_BASE; default "+defaultAPIBase+")")
}

// client checks the flags and returns a client for them.
func (f *apiFlags) client() (*client, error) {
	key := cmp.Or(f.key, os.Getenv("PAYD_API_KEY"))
	base := cmp.Or(f.base, os.Getenv("PAYD_API_BASE"), defaultAPIBase)
	if key == "" {
		return nil, errors.New("no API key: pass --api-key or set PAYD_API_KEY (payd serve prints the keys)")
	}
	if strings.HasPrefix(key, "pk_") {
		return nil, errors.New("the API key is a publishable key; these commands need the secret key sk_… (payd serve prints the keys)")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--api-base %q is not an http(s) URL, e.g. %s", base, defaultAPIBase)
	}
	return &client{base: strings.TrimRight(base, "/"), key: key, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

type client struct {
	base string
	key  string
	http *http.Client
}

// apiError is Stripe's error envelope as payd sends it.
type apiError struct {
	Status      int    `json:"-"`
	Type        string `json:"type"`
	Code        string `json:"code"`
	DeclineCode string `json:"decline_code"`
	Message     string `json:"message"`
	Param       string `json:"param"`
}

func (e *apiError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return fmt.Sprintf("payd answered %d: %s", e.Status, msg)
}

// errKeyRefused is what a 401 means to a CLI user.
var errKeyRefused = errors.New("the API key was refused: pass --api-key or set PAYD_API_KEY (payd serve prints the keys)")

// do sends params (a form body for POST, the query string otherwise) and
// decodes a 2xx answer into out, which may be nil.
func (c *client) do(ctx context.Context, method, path string, params url.Values, out any) error {
	target := c.base + path
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else if len(params) > 0 {
		target += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.key, "")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("is payd running at %s? start it with payd serve (or point --api-base at it)", c.base)
		}
		return fmt.Errorf("cannot reach payd at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return errKeyRefused
	}
	if resp.StatusCode/100 != 2 {
		var env struct {
			Error apiError `json:"error"`
		}
		json.Unmarshal(data, &env) // a body that is not the envelope still leaves the status
		env.Error.Status = resp.StatusCode
		if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(env.Error.Message, "Unrecognized request URL") {
			return fmt.Errorf("payd at %s does not serve %s %s: it is older than this command; run payd serve from the same build", c.base, method, path)
		}
		return &env.Error
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
	}
	return nil
}

// listPage is Stripe's list envelope.
type listPage[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

// listAll pages through a list endpoint, newest first.
func listAll[T interface{ objectID() string }](ctx context.Context, c *client, path string, params url.Values) ([]T, error) {
	var all []T
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	q.Set("limit", "100")
	for {
		var page listPage[T]
		if err := c.do(ctx, http.MethodGet, path, q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all, nil
		}
		q.Set("starting_after", page.Data[len(page.Data)-1].objectID())
	}
}

// parseArgs parses fs allowing flags after positional arguments
// ("payd events resend evt_1 --endpoint we_2"), which the flag package
// alone stops at, and returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		// "--" ends the flags: everything after it is positional.
		if consumed := len(args) - fs.NArg(); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// newFlagSet makes a subcommand's flag set whose --help prints synopsis,
// then the flags, then more (examples).
func newFlagSet(name, synopsis, more string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\nFlags:\n", synopsis)
		printFlags(fs)
		if more != "" {
			fmt.Fprintf(fs.Output(), "\n%s", more)
		}
	}
	return fs
}

// printFlags lists the flags with two dashes, as the usage texts and
// examples spell them (the flag package accepts both).
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + strings.ToUpper(name)
		}
		fmt.Fprintf(fs.Output(), "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch {
		case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s" || f.DefValue == "false":
		case isString(f):
			fmt.Fprintf(fs.Output(), " (default %q)", f.DefValue)
		default:
			fmt.Fprintf(fs.Output(), " (default %s)", f.DefValue)
		}
		fmt.Fprintln(fs.Output())
	})
}

func isString(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(string)
	return ok
}

// flagExit is the exit code for a flag parse error: 0 for --help, 2 for a
// mistake (the flag package has printed both).
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clock formats a time the way the CLI prints it.
func clock(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
