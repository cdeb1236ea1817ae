// Package storetest is the contract every store engine must satisfy. The
// same tests run against SQLite and PostgreSQL, so the engines cannot drift.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payd/payd/internal/store"
)

// Run runs the contract against stores made by open; each call must return
// a fresh, empty, migrated store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := map[string]func(t *testing.T, st store.Store){
		"InsertGet":                    testInsertGet,
		"OtherAccountIsNotFound":       testOtherAccount,
		"PutReplaces":                  testPut,
		"SetPrivate":                   testSetPrivate,
		"DuplicateIDConflicts":         testDuplicate,
		"InsertNew":                    testInsertNew,
		"InsertNewDuplicateFailsWhole": testInsertNewDuplicate,
		"ListNewestFirstAndPages":      testListPages,
		"ListEndingBefore":             testListEndingBefore,
		"ListCreatedRange":             testListCreated,
		"ListFiltersAndPatterns":       testListFilters,
		"ListSkipsDeleted":             testListSkipsDeleted,
		"ListUnknownCursor":            testListUnknownCursor,
		"RollbackLeavesNothing":        testRollback,
		"Keys":                         testKeys,
		"IdempotencyClaimAndReplay":    testIdempotency,
		"IdempotencyStaleTakeover":     testIdempotencyStale,
		"IdempotencyConcurrentClaim":   testIdempotencyConcurrent,
		"ConcurrentWritesAllLand":      testConcurrentWrites,
		"ConcurrentFailuresIsolated":   testConcurrentFailures,
		"FailuresBeforeWritingRunOnce": testFailuresBeforeWriting,
		"SubscribersFollowWrites":      testSubscribersFollowWrites,
		"SubscribersForgetFailures":    testSubscribersForgetFailures,
		"ListDataOnly":                 testListDataOnly,
		"ListEach":                     testListEach,
		"PutConflicts":                 testPutConflicts,
		"GetFollowsWrites":             testGetFollowsWrites,
		"GetFollowsConcurrentWrites":   testGetFollowsConcurrentWrites,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			fn(t, st)
		})
	}
}

// table is a migrated object table every engine has.
const table = "customers"

func rec(account, id string, created int64, email string) store.Record {
	return store.Record{ID: id, Account: account, Created: created,
		Data: []byte(fmt.Sprintf(`{"id":%q}`, id)), Cols: []store.Col{{Name: "email", Value: email}}}
}

func update(t *testing.T, st store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := st.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func insert(t *testing.T, st store.Store, rs ...store.Record) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for _, r := range rs {
			if err := tx.Insert(context.Background(), table, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func list(t *testing.T, st store.Store, q store.ListQuery) (ids []string, hasMore bool) {
	t.Helper()
	err := st.View(context.Background(), func(tx store.Tx) error {
		p, err := tx.List(context.Background(), table, q)
		if err != nil {
			return err
		}
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		hasMore = p.HasMore
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, hasMore
}

func eq(t *testing.T, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func testInsertGet(t *testing.T, st store.Store) {
	withPrivate := rec("acct_a", "cus_p", 99, "")
	withPrivate.Private = []byte(`{"secret":1}`)
	insert(t, st, rec("acct_a", "cus_1", 100, "a@x"), withPrivate)
	err := st.View(context.Background(), func(tx store.Tx) error {
		r, err := tx.Get(context.Background(), table, "acct_a", "cus_1")
		if err != nil {
			return err
		}
		if r.ID != "cus_1" || r.Created != 100 || string(r.Data) != `{"id":"cus_1"}` || r.Seq == 0 || r.Deleted {
			return fmt.Errorf("got %+v", r)
		}
		if r.Private != nil {
			return fmt.Errorf("private without a value: %q", r.Private)
		}
		p, err := tx.Get(context.Background(), table, "acct_a", "cus_p")
		if err != nil || string(p.Private) != `{"secret":1}` {
			return fmt.Errorf("private lost: %q %v", p.Private, err)
		}
		if _, err := tx.Get(context.Background(), table, "acct_a", "cus_2"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("missing id: got %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testOtherAccount(t *testing.T, st store.Store) {
	insert(t, st, rec("acct_a", "cus_1", 100, ""))
	update(t, st, func(tx store.Tx) error {
		ctx := context.Background()
		if _, err := tx.Get(ctx, table, "acct_b", "cus_1"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("get: %v", err)
		}
		if _, err := tx.GetForUpdate(ctx, table, "acct_b", "cus_1"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("get for update: %v", err)
		}
		if err := tx.Put(ctx, table, rec("acct_b", "cus_1", 100, "")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("put: %v", err)
		}
		if _, err := tx.List(ctx, table, store.ListQuery{Account: "acct_b", Limit: 10, After: "cus_1"}); !errors.Is(err, store.ErrCursorNotFound) {
			return fmt.Errorf("cursor: %v", err)
		}
		return nil
	})
	ids, _ := list(t, st, store.ListQuery{Account: "acct_b", Limit: 10})
	eq(t, ids)
}

func testPut(t *testing.T, st store.Store) {
	insert(t, st, rec("acct_a", "cus_1", 100, "old@x"))
	r := rec("acct_a", "cus_1", 100, "new@x")
	r.Data = []byte(`{"v":2}`)
	update(t, st, func(tx store.Tx) error { return tx.Put(context.Background(), table, r) })
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10,
		Filters: []store.Filter{{Col: "email", Values: []any{"new@x"}}}})
	eq(t, ids, "cus_1")
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10,
		Filters: []store.Filter{{Col: "email", Values: []any{"old@x"}}}})
	eq(t, ids)
}

func testSetPrivate(t *testing.T, st store.Store) {
	r := rec("acct_a", "cus_1", 100, "a@x")
	r.Private = []byte(`{"p":1}`)
	insert(t, st, r)
	update(t, st, func(tx store.Tx) error {
		return tx.SetPrivate(context.Background(), table, "acct_a", "cus_1", []byte(`{"p":2}`))
	})
	var got store.Record
	if err := st.View(context.Background(), func(tx store.Tx) error {
		var err error
		got, err = tx.Get(context.Background(), table, "acct_a", "cus_1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if string(got.Private) != `{"p":2}` || string(got.Data) != string(r.Data) {
		t.Fatalf("after SetPrivate: data %s private %s, want %s and {\"p\":2}", got.Data, got.Private, r.Data)
	}
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10,
		Filters: []store.Filter{{Col: "email", Values: []any{"a@x"}}}})
	eq(t, ids, "cus_1")
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.SetPrivate(context.Background(), table, "acct_b", "cus_1", []byte(`{}`))
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetPrivate on another account's row: %v, want ErrNotFound", err)
	}
}

func testDuplicate(t *testing.T, st store.Store) {
	insert(t, st, rec("acct_a", "cus_1", 100, ""))
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.Insert(context.Background(), table, rec("acct_a", "cus_1", 100, ""))
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
}

// testInsertNew: rows inserted with InsertNew, which an engine may send
// later, are seen by the reads and writes after them in the transaction,
// keep the bytes they had when inserted though the caller reuses its
// buffer, and are committed in the order they were inserted.
func testInsertNew(t *testing.T, st store.Store) {
	ctx := context.Background()
	buf := []byte(`{"id":"cus_1"}`)
	update(t, st, func(tx store.Tx) error {
		r1 := rec("acct_a", "cus_1", 100, "a@x")
		r1.Data = buf
		if err := tx.InsertNew(ctx, table, r1); err != nil {
			return err
		}
		copy(buf, `{"id":"cus_X"}`) // the caller's buffer, reused
		r2 := rec("acct_a", "cus_2", 100, "b@x")
		r2.Private = []byte(`{"p":2}`)
		if err := tx.InsertNew(ctx, table, r2); err != nil {
			return err
		}
		got, err := tx.Get(ctx, table, "acct_a", "cus_1")
		if err != nil {
			return fmt.Errorf("get in the inserting transaction: %w", err)
		}
		if string(got.Data) != `{"id":"cus_1"}` {
			return fmt.Errorf("data in the inserting transaction %s", got.Data)
		}
		if err := tx.InsertNew(ctx, table, rec("acct_a", "cus_3", 101, "")); err != nil {
			return err
		}
		p, err := tx.List(ctx, table, store.ListQuery{Account: "acct_a", Limit: 10})
		if err != nil {
			return err
		}
		var ids []string
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		if fmt.Sprint(ids) != "[cus_3 cus_2 cus_1]" {
			return fmt.Errorf("list in the inserting transaction: %v", ids)
		}
		return tx.Put(ctx, table, store.Record{ID: "cus_3", Account: "acct_a", Created: 101, Data: []byte(`{"v":2}`),
			Cols: []store.Col{{Name: "email", Value: "c@x"}}})
	})
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10})
	eq(t, ids, "cus_3", "cus_2", "cus_1")
	for id, want := range map[string]string{"cus_1": `{"id":"cus_1"}`, "cus_2": `{"id":"cus_2"}`, "cus_3": `{"v":2}`} {
		r, err := get(t, st, "acct_a", id)
		if err != nil || string(r.Data) != want {
			t.Fatalf("%s: %s, %v; want %s", id, r.Data, err, want)
		}
		if id == "cus_2" && string(r.Private) != `{"p":2}` {
			t.Fatalf("cus_2's private: %q", r.Private)
		}
	}
}

// testInsertNewDuplicate: an InsertNew whose id is taken fails the whole
// transaction, even when the engine learns of it only after the function
// has moved on and returned nil; and it is not ErrConflict, which callers
// of Insert treat as an answer.
func testInsertNewDuplicate(t *testing.T, st store.Store) {
	ctx := context.Background()
	insert(t, st, rec("acct_a", "cus_1", 100, ""))
	err := st.Update(ctx, func(tx store.Tx) error {
		if err := tx.Insert(ctx, table, rec("acct_a", "cus_2", 100, "")); err != nil {
			return err
		}
		if err := tx.InsertNew(ctx, table, rec("acct_a", "cus_1", 100, "")); err != nil {
			return err
		}
		tx.Get(ctx, table, "acct_a", "cus_2") // a statement after it; its answer does not matter
		return nil
	})
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Fatalf("got %v, want the transaction's failure", err)
	}
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10})
	eq(t, ids, "cus_1")
}

func testListPages(t *testing.T, st store.Store) {
	// Two objects in the same second: seq breaks the tie, newest first.
	insert(t, st, rec("acct_a", "cus_1", 100, ""), rec("acct_a", "cus_2", 100, ""),
		rec("acct_a", "cus_3", 101, ""), rec("acct_a", "cus_4", 102, ""), rec("acct_b", "cus_x", 103, ""))
	ids, more := list(t, st, store.ListQuery{Account: "acct_a", Limit: 2})
	eq(t, ids, "cus_4", "cus_3")
	if !more {
		t.Fatal("has_more: want true")
	}
	ids, more = list(t, st, store.ListQuery{Account: "acct_a", Limit: 2, After: "cus_3"})
	eq(t, ids, "cus_2", "cus_1")
	if more {
		t.Fatal("has_more: want false")
	}
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, After: "cus_2"})
	eq(t, ids, "cus_1")
}

func testListEndingBefore(t *testing.T, st store.Store) {
	insert(t, st, rec("acct_a", "cus_1", 100, ""), rec("acct_a", "cus_2", 101, ""),
		rec("acct_a", "cus_3", 102, ""), rec("acct_a", "cus_4", 103, ""))
	ids, more := list(t, st, store.ListQuery{Account: "acct_a", Limit: 2, Before: "cus_1"})
	eq(t, ids, "cus_3", "cus_2")
	if !more {
		t.Fatal("has_more: want true")
	}
	ids, more = list(t, st, store.ListQuery{Account: "acct_a", Limit: 2, Before: "cus_3"})
	eq(t, ids, "cus_4")
	if more {
		t.Fatal("has_more: want false")
	}
}

func testListCreated(t *testing.T, st store.Store) {
	for i := int64(1); i <= 5; i++ {
		insert(t, st, rec("acct_a", fmt.Sprintf("cus_%d", i), 100+i, ""))
	}
	v := func(n int64) *int64 { return &n }
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, Created: store.Range{Gt: v(102), Lte: v(104)}})
	eq(t, ids, "cus_4", "cus_3")
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, Created: store.Range{Gte: v(102), Lt: v(104)}})
	eq(t, ids, "cus_3", "cus_2")
}

func testListFilters(t *testing.T, st store.Store) {
	insert(t, st, rec("acct_a", "cus_1", 100, "a@x"), rec("acct_a", "cus_2", 101, "b@x"),
		rec("acct_a", "cus_3", 102, "a@x"), rec("acct_a", "cus_4", 103, "a_b@x"))
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, Filters: []store.Filter{{Col: "email", Values: []any{"a@x"}}}})
	eq(t, ids, "cus_3", "cus_1")
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, Filters: []store.Filter{{Col: "email", Values: []any{"a@x", "b@x"}}}})
	eq(t, ids, "cus_3", "cus_2", "cus_1")
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, Filters: []store.Filter{{Col: "email", Patterns: []string{`a\_%`}}}})
	eq(t, ids, "cus_4")
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10, Filters: []store.Filter{{Col: "email", Values: []any{"b@x"}, Patterns: []string{`a\_%`}}}})
	eq(t, ids, "cus_4", "cus_2")
}

func testListSkipsDeleted(t *testing.T, st store.Store) {
	insert(t, st, rec("acct_a", "cus_1", 100, ""), rec("acct_a", "cus_2", 101, ""))
	r := rec("acct_a", "cus_2", 101, "")
	r.Deleted = true
	update(t, st, func(tx store.Tx) error { return tx.Put(context.Background(), table, r) })
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10})
	eq(t, ids, "cus_1")
	err := st.View(context.Background(), func(tx store.Tx) error {
		got, err := tx.Get(context.Background(), table, "acct_a", "cus_2")
		if err == nil && !got.Deleted {
			err = fmt.Errorf("deleted flag lost")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A Put of a live record over a deleted row makes it live again, and
	// one over a missing row is ErrNotFound, deleted or not.
	r.Deleted = false
	r.Data = []byte(`{"id":"cus_2","v":2}`)
	update(t, st, func(tx store.Tx) error { return tx.Put(context.Background(), table, r) })
	ids, _ = list(t, st, store.ListQuery{Account: "acct_a", Limit: 10})
	eq(t, ids, "cus_2", "cus_1")
	for _, deleted := range []bool{false, true} {
		missing := rec("acct_a", "cus_9", 100, "")
		missing.Deleted = deleted
		err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Put(context.Background(), table, missing) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Put (deleted %v) of a missing row: %v, want ErrNotFound", deleted, err)
		}
	}
}

func testListUnknownCursor(t *testing.T, st store.Store) {
	err := st.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.List(context.Background(), table, store.ListQuery{Account: "acct_a", Limit: 10, Before: "cus_nope"})
		return err
	})
	if !errors.Is(err, store.ErrCursorNotFound) {
		t.Fatalf("got %v", err)
	}
}

func testRollback(t *testing.T, st store.Store) {
	boom := errors.New("boom")
	err := st.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Insert(context.Background(), table, rec("acct_a", "cus_1", 100, "")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 10})
	eq(t, ids)
}

func testKeys(t *testing.T, st store.Store) {
	ctx := context.Background()
	update(t, st, func(tx store.Tx) error {
		for i := 0; i < 2; i++ { // EnsureAccount is idempotent
			if err := tx.EnsureAccount(ctx, store.Account{ID: "acct_a", Created: 1}); err != nil {
				return err
			}
		}
		if err := tx.AddKey(ctx, store.APIKey{Key: "sk_test_1", Account: "acct_a", Kind: store.KeySecret, Created: 1}); err != nil {
			return err
		}
		if err := tx.AddKey(ctx, store.APIKey{Key: "sk_test_1", Account: "acct_a", Kind: store.KeySecret, Created: 1}); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("duplicate key: %v", err)
		}
		return nil
	})
	err := st.View(ctx, func(tx store.Tx) error {
		k, err := tx.Key(ctx, "sk_test_1")
		if err != nil || k.Account != "acct_a" || k.Kind != store.KeySecret {
			return fmt.Errorf("key: %+v %v", k, err)
		}
		if _, err := tx.Key(ctx, "sk_test_2"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("unknown key: %v", err)
		}
		accts, err := tx.Accounts(ctx)
		if err != nil || len(accts) != 1 {
			return fmt.Errorf("accounts: %v %v", accts, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func claim(t *testing.T, st store.Store, k store.IdempotencyKey, staleBefore time.Time) (store.IdempotencyKey, bool) {
	t.Helper()
	var got store.IdempotencyKey
	var ok bool
	update(t, st, func(tx store.Tx) error {
		var err error
		got, ok, err = tx.ClaimIdempotencyKey(context.Background(), k, staleBefore)
		return err
	})
	return got, ok
}

func testIdempotency(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := time.Now()
	k := store.IdempotencyKey{Account: "acct_a", Key: "k1", RequestHash: "h1", Created: now.Unix(), LockedAt: now.UnixMilli()}
	if _, ok := claim(t, st, k, now.Add(-time.Minute)); !ok {
		t.Fatal("first claim refused")
	}
	got, ok := claim(t, st, k, now.Add(-time.Minute))
	if ok || got.State != store.IdemInFlight {
		t.Fatalf("second claim: ok=%v state=%d", ok, got.State)
	}
	// Another account's key of the same name is independent.
	other := k
	other.Account = "acct_b"
	if _, ok := claim(t, st, other, now.Add(-time.Minute)); !ok {
		t.Fatal("other account's claim refused")
	}
	update(t, st, func(tx store.Tx) error { return tx.FinishIdempotencyKey(ctx, "acct_a", "k1", 200, []byte(`{"ok":1}`)) })
	got, ok = claim(t, st, k, now.Add(-time.Minute))
	if ok || got.State != store.IdemDone || got.Status != 200 || string(got.Body) != `{"ok":1}` || got.RequestHash != "h1" {
		t.Fatalf("replay: ok=%v %+v", ok, got)
	}
	// Release only forgets keys in flight.
	update(t, st, func(tx store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, "acct_a", "k1") })
	if got, _ := claim(t, st, k, now.Add(-time.Minute)); got.State != store.IdemDone {
		t.Fatal("release removed a finished key")
	}
	update(t, st, func(tx store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, "acct_b", "k1") })
	if _, ok := claim(t, st, other, now.Add(-time.Minute)); !ok {
		t.Fatal("released key could not be claimed again")
	}
	var pruned int64
	update(t, st, func(tx store.Tx) error {
		var err error
		pruned, err = tx.PruneIdempotencyKeys(ctx, now.Add(time.Hour))
		return err
	})
	if pruned != 2 {
		t.Fatalf("pruned %d, want 2", pruned)
	}
}

func testIdempotencyStale(t *testing.T, st store.Store) {
	old := time.Now().Add(-time.Hour)
	k := store.IdempotencyKey{Account: "acct_a", Key: "k1", RequestHash: "h1", Created: old.Unix(), LockedAt: old.UnixMilli()}
	claim(t, st, k, old.Add(-time.Minute))
	now := time.Now()
	k.LockedAt = now.UnixMilli()
	if _, ok := claim(t, st, k, now.Add(-time.Minute)); !ok {
		t.Fatal("stale in-flight key was not taken over")
	}
	if _, ok := claim(t, st, k, now.Add(-time.Minute)); ok {
		t.Fatal("fresh in-flight key was taken over")
	}
}

func testIdempotencyConcurrent(t *testing.T, st store.Store) {
	now := time.Now()
	k := store.IdempotencyKey{Account: "acct_a", Key: "race", RequestHash: "h", Created: now.Unix(), LockedAt: now.UnixMilli()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Update(context.Background(), func(tx store.Tx) error {
				_, ok, err := tx.ClaimIdempotencyKey(context.Background(), k, now.Add(-time.Minute))
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want exactly 1", wins)
	}
}

func testConcurrentWrites(t *testing.T, st store.Store) {
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Update(context.Background(), func(tx store.Tx) error {
				return tx.Insert(context.Background(), table, rec("acct_a", fmt.Sprintf("cus_%03d", i), 100, ""))
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 100})
	if len(ids) != 50 {
		t.Fatalf("%d rows, want 50", len(ids))
	}
}

// testConcurrentFailures interleaves writes that fail after inserting with
// writes that succeed: however the engine groups them, each failed write
// leaves nothing and each successful one lands.
func testConcurrentFailures(t *testing.T, st store.Store) {
	boom := errors.New("boom")
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Update(context.Background(), func(tx store.Tx) error {
				if err := tx.Insert(context.Background(), table, rec("acct_a", fmt.Sprintf("cus_%03d", i), 100, "")); err != nil {
					return err
				}
				if i%3 == 0 {
					return boom
				}
				return nil
			})
			if (i%3 == 0) != errors.Is(err, boom) {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 100})
	if len(ids) != 40 {
		t.Fatalf("%d rows, want 40", len(ids))
	}
	for _, id := range ids {
		var n int
		fmt.Sscanf(id, "cus_%d", &n)
		if n%3 == 0 {
			t.Fatalf("failed write %s landed", id)
		}
	}
}

// testFailuresBeforeWriting interleaves writes that fail before writing
// anything (a state check, say) with writes that succeed: however the
// engine groups them, there is nothing to undo, so no function runs twice
// (Update may rerun a function, but only to undo a neighbour's write).
func testFailuresBeforeWriting(t *testing.T, st store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	var runs [60]atomic.Int32
	var wg sync.WaitGroup
	for i := range len(runs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Update(ctx, func(tx store.Tx) error {
				runs[i].Add(1)
				if i%3 == 0 {
					if _, err := tx.Get(ctx, table, "acct_a", "cus_missing"); !errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("get: %v", err)
					}
					return boom
				}
				return tx.Insert(ctx, table, rec("acct_a", fmt.Sprintf("cus_%03d", i), 100, ""))
			})
			if (i%3 == 0) != errors.Is(err, boom) {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	for i := range runs {
		if n := runs[i].Load(); n != 1 {
			t.Errorf("write %d ran %d times", i, n)
		}
	}
	if ids, _ := list(t, st, store.ListQuery{Account: "acct_a", Limit: 100}); len(ids) != 40 {
		t.Fatalf("%d rows, want 40", len(ids))
	}
}

// testSubscribersFollowWrites: however a transaction remembers the
// webhook subscribers it has looked up, an endpoint it writes (created,
// disabled, deleted) is what its next lookup sees.
func testSubscribersFollowWrites(t *testing.T, st store.Store) {
	ctx := context.Background()
	endpoint := func(status string, deleted bool) store.Record {
		return store.Record{ID: "we_1", Account: "acct_a", Created: 100, Data: []byte(`{}`), Deleted: deleted,
			Cols: []store.Col{{Name: "url", Value: "http://127.0.0.1/hook"}, {Name: "status", Value: status}, {Name: "enabled_events", Value: "*"}}}
	}
	// The checks return errors: the function may run on the store's own
	// goroutine (group commit), where t.Fatal must not be called.
	expect := func(tx store.Tx, want int, when string) error {
		subs, err := tx.WebhookSubscribers(ctx, "acct_a")
		if err != nil {
			return err
		}
		if len(subs) != want {
			return fmt.Errorf("%d subscribers %s, want %d", len(subs), when, want)
		}
		return nil
	}
	update(t, st, func(tx store.Tx) error {
		if err := expect(tx, 0, "before any endpoint"); err != nil {
			return err
		}
		if err := tx.Insert(ctx, "webhook_endpoints", endpoint("enabled", false)); err != nil {
			return err
		}
		if err := expect(tx, 1, "after creating an endpoint in the transaction"); err != nil {
			return err
		}
		if err := tx.Put(ctx, "webhook_endpoints", endpoint("disabled", false)); err != nil {
			return err
		}
		if err := expect(tx, 0, "after disabling it"); err != nil {
			return err
		}
		if err := tx.Put(ctx, "webhook_endpoints", endpoint("enabled", true)); err != nil {
			return err
		}
		return expect(tx, 0, "after deleting it")
	})
}

// testSubscribersForgetFailures: writes that run concurrently (and so, on
// an engine with group commit, in one shared transaction) never see the
// webhook endpoint of a write that failed, even when that write looked its
// endpoint up before it failed.
func testSubscribersForgetFailures(t *testing.T, st store.Store) {
	ctx := context.Background()
	errRollback := errors.New("roll back")
	var wg sync.WaitGroup
	failures := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Update(ctx, func(tx store.Tx) error {
				if i%2 == 1 {
					subs, err := tx.WebhookSubscribers(ctx, "acct_a")
					if err == nil && len(subs) != 0 {
						err = fmt.Errorf("write %d sees %d subscribers of failed writes", i, len(subs))
					}
					return err
				}
				ep := store.Record{ID: fmt.Sprintf("we_%d", i), Account: "acct_a", Created: 100, Data: []byte(`{}`),
					Cols: []store.Col{{Name: "url", Value: "http://127.0.0.1/hook"}, {Name: "status", Value: "enabled"}, {Name: "enabled_events", Value: "*"}}}
				if err := tx.Insert(ctx, "webhook_endpoints", ep); err != nil {
					return err
				}
				if subs, err := tx.WebhookSubscribers(ctx, "acct_a"); err != nil || len(subs) != 1 {
					return fmt.Errorf("write %d: %d subscribers after its insert (%v)", i, len(subs), err)
				}
				return errRollback
			})
			if err != nil && !errors.Is(err, errRollback) {
				failures <- err
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
}

// testListDataOnly: a data-only list has the objects and nothing else; a
// full one has the rows whole.
func testListDataOnly(t *testing.T, st store.Store) {
	r := rec("acct_a", "cus_1", 100, "a@x")
	r.Private = []byte(`{"secret":1}`)
	insert(t, st, r)
	for _, dataOnly := range []bool{false, true} {
		err := st.View(context.Background(), func(tx store.Tx) error {
			p, err := tx.List(context.Background(), table, store.ListQuery{Account: "acct_a", Limit: 10, DataOnly: dataOnly})
			if err != nil {
				return err
			}
			if len(p.Records) != 1 || string(p.Records[0].Data) != `{"id":"cus_1"}` {
				return fmt.Errorf("records: %+v", p.Records)
			}
			if got := string(p.Records[0].Private); (dataOnly && got != "") || (!dataOnly && got != `{"secret":1}`) {
				return fmt.Errorf("DataOnly %v: private %q", dataOnly, got)
			}
			if got := p.Records[0].ID; (dataOnly && got != "") || (!dataOnly && got != "cus_1") {
				return fmt.Errorf("DataOnly %v: id %q", dataOnly, got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testListEach: a list handing its rows to Each sees the pages a list of
// records has, in the same order and with the same has_more, in both
// directions and with each limit, and nothing in Records.
func testListEach(t *testing.T, st store.Store) {
	for i := range 5 {
		insert(t, st, rec("acct_a", fmt.Sprintf("cus_%d", i), int64(100+i), "a@x"))
	}
	queries := []store.ListQuery{{Limit: 2}, {Limit: 5}, {Limit: 10}, {Limit: 2, After: "cus_3"},
		{Limit: 2, Before: "cus_1"}, {Limit: 10, Before: "cus_0"}, {Limit: 1, After: "cus_0"}}
	for _, q := range queries {
		q.Account = "acct_a"
		err := st.View(context.Background(), func(tx store.Tx) error {
			want, err := tx.List(context.Background(), table, q)
			if err != nil {
				return err
			}
			var got [][]byte
			e := q
			e.Each = func(data []byte) { got = append(got, bytes.Clone(data)) }
			p, err := tx.List(context.Background(), table, e)
			if err != nil {
				return err
			}
			if p.Records != nil || p.HasMore != want.HasMore || len(got) != len(want.Records) {
				return fmt.Errorf("%+v: Each saw %d rows, has_more %v, records %v; want %d rows, has_more %v",
					q, len(got), p.HasMore, p.Records, len(want.Records), want.HasMore)
			}
			for i, r := range want.Records {
				if !bytes.Equal(got[i], r.Data) {
					return fmt.Errorf("%+v: row %d is %s, want %s", q, i, got[i], r.Data)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testPutConflicts: an update that breaks a unique index (a price's
// lookup_key) is store.ErrConflict, as an insert's is, so callers can
// answer it rather than fail.
func testPutConflicts(t *testing.T, st store.Store) {
	ctx := context.Background()
	price := func(id, key string) store.Record {
		return store.Record{ID: id, Account: "acct_a", Created: 100, Data: []byte(`{}`), Cols: []store.Col{
			{Name: "product", Value: "prod_1"}, {Name: "active", Value: int64(1)}, {Name: "currency", Value: "usd"},
			{Name: "type", Value: "one_time"}, {Name: "lookup_key", Value: key}}}
	}
	update(t, st, func(tx store.Tx) error {
		if err := tx.Insert(ctx, "prices", price("price_1", "gold")); err != nil {
			return err
		}
		return tx.Insert(ctx, "prices", price("price_2", "silver"))
	})
	err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, "prices", price("price_2", "gold")) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Put onto a taken unique key: %v, want store.ErrConflict", err)
	}
}

func get(t *testing.T, st store.Store, account, id string) (store.Record, error) {
	t.Helper()
	var r store.Record
	err := st.View(context.Background(), func(tx store.Tx) error {
		var err error
		r, err = tx.Get(context.Background(), table, account, id)
		return err
	})
	return r, err
}

// testGetFollowsWrites reads a row again after each kind of write to it: an
// engine that keeps rows it has read (SQLite's record cache) must answer
// the row as last committed, never as first read.
func testGetFollowsWrites(t *testing.T, st store.Store) {
	ctx := context.Background()
	want := func(what, data, private string, deleted bool) {
		t.Helper()
		for range 2 { // the second read may be answered from memory
			r, err := get(t, st, "acct_a", "cus_1")
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if string(r.Data) != data || string(r.Private) != private || r.Deleted != deleted {
				t.Fatalf("%s: data %s private %s deleted %v, want %s %s %v", what, r.Data, r.Private, r.Deleted, data, private, deleted)
			}
			// What a caller does with the bytes it got is its own business.
			r.Data[0], r.Private[0] = 'X', 'X'
		}
	}
	r := rec("acct_a", "cus_1", 100, "")
	r.Private = []byte(`{"p":1}`)
	insert(t, st, r)
	want("insert", `{"id":"cus_1"}`, `{"p":1}`, false)
	if _, err := get(t, st, "acct_b", "cus_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another account's row, once read: %v, want ErrNotFound", err)
	}

	r.Data = []byte(`{"v":2}`)
	update(t, st, func(tx store.Tx) error { return tx.Put(ctx, table, r) })
	want("put", `{"v":2}`, `{"p":1}`, false)

	update(t, st, func(tx store.Tx) error { return tx.SetPrivate(ctx, table, "acct_a", "cus_1", []byte(`{"p":2}`)) })
	want("set private", `{"v":2}`, `{"p":2}`, false)

	boom := errors.New("boom")
	err := st.Update(ctx, func(tx store.Tx) error {
		r := r
		r.Data = []byte(`{"v":"rolled back"}`)
		if err := tx.Put(ctx, table, r); err != nil {
			return err
		}
		// Read back inside the transaction: its own write, not what
		// reads outside it were answered.
		got, err := tx.Get(ctx, table, "acct_a", "cus_1")
		if err != nil {
			return err
		}
		if string(got.Data) != `{"v":"rolled back"}` {
			return fmt.Errorf("inside the transaction: %s", got.Data)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	want("rolled-back put", `{"v":2}`, `{"p":2}`, false)

	r.Data, r.Private, r.Deleted = []byte(`{"deleted":true}`), []byte(`{"p":3}`), true
	update(t, st, func(tx store.Tx) error { return tx.Put(ctx, table, r) })
	want("delete", `{"deleted":true}`, `{"p":3}`, true)
}

// testGetFollowsConcurrentWrites races reads of rows against writes to
// them: once a write is acknowledged, no read that follows may answer an
// older version, whichever read fetched what and when.
func testGetFollowsConcurrentWrites(t *testing.T, st store.Store) {
	ctx := context.Background()
	const rows, versions = 4, 60
	for i := range rows {
		insert(t, st, store.Record{ID: fmt.Sprintf("cus_%d", i), Account: "acct_a", Created: 100, Data: []byte("0")})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for g := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := get(t, st, "acct_a", fmt.Sprintf("cus_%d", (g+n)%rows)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for i := range rows {
		writers.Add(1)
		go func() {
			defer writers.Done()
			id := fmt.Sprintf("cus_%d", i)
			for v := 1; v <= versions; v++ {
				data := []byte(fmt.Sprint(v))
				err := st.Update(ctx, func(tx store.Tx) error {
					return tx.Put(ctx, table, store.Record{ID: id, Account: "acct_a", Created: 100, Data: data})
				})
				if err != nil {
					t.Error(err)
					return
				}
				for range 3 {
					r, err := get(t, st, "acct_a", id)
					if err != nil {
						t.Error(err)
						return
					}
					if string(r.Data) != string(data) {
						t.Errorf("%s: read %s after version %s was acknowledged", id, r.Data, data)
						return
					}
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
}
