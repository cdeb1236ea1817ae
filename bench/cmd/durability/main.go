// Command durability drives bench/durability.sh. "load" creates customers
// with concurrent clients and appends the id of every customer payd
// acknowledged (200 OK with a body naming it) to a file, written before the
// next request; it keeps going through connection errors while payd is
// killed and restarted. "verify" then retrieves every recorded id and counts
// those that are missing.
//
//	durability load   --url http://127.0.0.1:4243 --key sk_test_bench --out acked.txt --duration 20s
//	durability verify --url http://127.0.0.1:4243 --key sk_test_bench --in acked.txt
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: durability load|verify [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "load":
		err = load(os.Args[2:])
	case "verify":
		err = verify(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "durability:", err)
		os.Exit(1)
	}
}

func client(conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		},
	}
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:4243", "payd base URL (loopback)")
	key := fs.String("key", "sk_test_bench", "secret key")
	out := fs.String("out", "acked.txt", "file the acknowledged ids are appended to")
	conc := fs.Int("c", 32, "concurrent clients")
	dur := fs.Duration("duration", 20*time.Second, "how long to send creates")
	fs.Parse(args)

	f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	var mu sync.Mutex
	var acked, failed, refused atomic.Int64
	hc := client(*conc)
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				body := "email=durable-" + strconv.Itoa(w) + "-" + strconv.Itoa(i) + "%40example.com&metadata[worker]=" + strconv.Itoa(w)
				req, _ := http.NewRequest("POST", *base+"/v1/customers", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+*key)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := hc.Do(req)
				if err != nil {
					// payd is down (killed) or the connection broke mid-request:
					// not acknowledged, so it may or may not exist.
					refused.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				var c struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(b, &c); err != nil || !strings.HasPrefix(c.ID, "cus_") {
					failed.Add(1)
					continue
				}
				mu.Lock()
				_, err = f.WriteString(c.ID + "\n")
				mu.Unlock()
				if err != nil {
					panic(err)
				}
				acked.Add(1)
			}
		}(w)
	}
	wg.Wait()
	fmt.Printf("load: acknowledged=%d non200=%d transport_errors=%d\n", acked.Load(), failed.Load(), refused.Load())
	return nil
}

func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:4243", "payd base URL (loopback)")
	key := fs.String("key", "sk_test_bench", "secret key")
	in := fs.String("in", "acked.txt", "file of acknowledged ids")
	conc := fs.Int("c", 8, "concurrent clients")
	fs.Parse(args)

	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	var ids []string
	seen := map[string]bool{}
	dups := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if seen[s] {
			dups++
			continue
		}
		seen[s] = true
		ids = append(ids, s)
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return err
	}

	hc := client(*conc)
	var ok, lost, other atomic.Int64
	var lostMu sync.Mutex
	var lostIDs []string
	ch := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ch {
				req, _ := http.NewRequest("GET", *base+"/v1/customers/"+id, nil)
				req.SetBasicAuth(*key, "")
				resp, err := hc.Do(req)
				if err != nil {
					other.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"id":"`+id+`"`):
					ok.Add(1)
				case resp.StatusCode == http.StatusNotFound:
					lost.Add(1)
					lostMu.Lock()
					lostIDs = append(lostIDs, id)
					lostMu.Unlock()
				default:
					other.Add(1)
				}
			}
		}()
	}
	for _, id := range ids {
		ch <- id
	}
	close(ch)
	wg.Wait()
	fmt.Printf("verify: acknowledged=%d retrievable=%d lost=%d errors=%d duplicate_ids=%d\n",
		len(ids), ok.Load(), lost.Load(), other.Load(), dups)
	for i, id := range lostIDs {
		if i == 20 {
			fmt.Printf("  … and %d more\n", len(lostIDs)-20)
			break
		}
		fmt.Println("  lost:", id)
	}
	if lost.Load() != 0 || other.Load() != 0 || dups != 0 {
		return errors.New("durability check FAILED")
	}
	return nil
}
