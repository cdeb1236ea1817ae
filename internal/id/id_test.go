package id

import (
	"regexp"
	"sort"
	"testing"
	"time"
)

func TestNew_ShapeAndOrder(t *testing.T) {
	re := regexp.MustCompile(`^cus_[0-9A-Za-z]{24}$`)
	var ids []string
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		v := New("cus")
		if !re.MatchString(v) {
			t.Fatalf("bad id %q", v)
		}
		if seen[v] {
			t.Fatalf("duplicate %q", v)
		}
		seen[v] = true
		ids = append(ids, v)
		if i%500 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Ids minted in later milliseconds sort after earlier ones.
	if !sort.StringsAreSorted([]string{ids[0], ids[501], ids[1002], ids[1503]}) {
		t.Fatalf("ids do not grow with time: %v", ids[:4])
	}
}

func TestAppendTime_FixedWidth(t *testing.T) {
	a := string(appendTime(nil, 1))
	b := string(appendTime(nil, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()))
	if len(a) != timeDigits || len(b) != timeDigits || !(a < b) {
		t.Fatalf("%q %q", a, b)
	}
}
