package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/payd/payd/internal/bufpool"
	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/jsonw"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/search"
	"github.com/payd/payd/internal/store"
)

// searchable is one resource's Search endpoint: its query fields and the
// table a search scans.
type searchable struct {
	resource search.Resource
	table    string
	// prefix starts the resource's ids, which its page tokens carry; ""
	// when callers choose ids.
	prefix string
	url    string
	// indexed maps an id field to the table's list filter column holding
	// it: an exact match on it in a query of ANDs reads only its rows,
	// through the column's index.
	indexed map[string]string
}

var (
	customerSearch = searchable{resource: search.Customers, table: customer.Table, prefix: customer.Prefix,
		url: "/v1/customers/search"}
	paymentIntentSearch = searchable{resource: search.PaymentIntents, table: paymentintent.Table, prefix: paymentintent.Prefix,
		url: "/v1/payment_intents/search", indexed: map[string]string{"customer": "customer"}}
	chargeSearch = searchable{resource: search.Charges, table: charge.Table, prefix: charge.Prefix,
		url: "/v1/charges/search", indexed: map[string]string{"customer": "customer"}}
	priceSearch = searchable{resource: search.Prices, table: catalog.PriceTable, prefix: catalog.PricePrefix,
		url: "/v1/prices/search", indexed: map[string]string{"product": "product"}}
	// Products may have ids of the caller's choosing: no prefix to check.
	productSearch = searchable{resource: search.Products, table: catalog.ProductTable, url: "/v1/products/search"}
)

const (
	// searchScan is how many rows a search reads from the store at once.
	searchScan = 100
	// maxTotalCount is where total_count stops counting; Stripe's is
	// "only accurate up to 10,000".
	maxTotalCount = 10000
)

// searchIn serves Stripe's Search API over sr. payd keeps no search
// index: a search reads the account's rows newest first, as a list does,
// and keeps those the query matches (deleted rows never reach it). It
// reads on past the page's last match to the next one, so that has_more
// is exact, and next_page names the row just before that next match, so
// that the following page's scan starts there instead of from the top.
func searchIn(sr searchable) handlerFunc {
	return func(c *call) (result, error) {
		q, err := search.Parse(sr.resource, c.params.Str("query"))
		if err != nil {
			var qe *search.Error
			if errors.As(err, &qe) {
				return result{}, errs.Invalid("", "query", "%s", qe.Message)
			}
			return result{}, err
		}
		// listQuery checks limit; the spec's schema lets a search have no
		// other list parameter.
		lq, err := listQuery(c)
		if err != nil {
			return result{}, err
		}
		limit := lq.Limit
		sr.narrow(&lq, q)
		token := c.params.Str("page")
		after := ""
		if token != "" {
			if after, err = sr.pageCursor(token); err != nil {
				return result{}, err
			}
		}
		withTotal := takeTotalCount(c)

		buf := bufpool.Get()
		b := append(*buf, `{"object":"search_result","data":[`...)
		found, next := 0, ""
		err = sr.walk(c, lq, after, func(obj map[string]any, data []byte, prev string) bool {
			if !q.Match(obj) {
				return true
			}
			if found == limit {
				next = prev
				return false
			}
			if found > 0 {
				b = append(b, ',')
			}
			b = append(b, data...)
			found++
			return true
		})
		var total int64
		if err == nil && withTotal {
			total, err = sr.count(c, q, lq)
		}
		if err != nil {
			bufpool.Put(buf)
			if errors.Is(err, store.ErrCursorNotFound) {
				return result{}, sr.badPage(token)
			}
			return result{}, err
		}
		b = jsonw.Bool(b, `],"has_more":`, next != "")
		if next == "" {
			b = append(b, `,"next_page":null`...)
		} else {
			b = jsonw.String(b, `,"next_page":`, pageToken(next))
		}
		b = jsonw.String(b, `,"url":`, sr.url)
		if withTotal {
			b = jsonw.Int(b, `,"total_count":`, total)
		}
		*buf = append(b, '}')
		return result{body: *buf, list: true, buf: buf}, nil
	}
}

// walk hands visit the rows of sr's table that lq selects, newest first,
// from the one after the cursor after (the newest when empty), each
// decoded, with the id of the row before it, until visit returns false or
// the rows run out. The store reads them searchScan at a time.
func (sr searchable) walk(c *call, lq store.ListQuery, after string, visit func(obj map[string]any, data []byte, prev string) bool) error {
	lq.Limit, lq.After = searchScan, after
	prev, stop := after, false
	var bad error
	lq.Each = func(data []byte) {
		if stop || bad != nil {
			return
		}
		obj, id, err := decodeObject(data)
		if err != nil {
			bad = err
			return
		}
		if !visit(obj, data, prev) {
			stop = true
			return
		}
		prev = id
	}
	for {
		page, err := c.tx.List(c.ctx, sr.table, lq)
		if err != nil {
			return err
		}
		if bad != nil {
			return bad
		}
		if stop || !page.HasMore {
			return nil
		}
		lq.After = prev
	}
}

// count is total_count: how many rows q matches, up to maxTotalCount.
func (sr searchable) count(c *call, q *search.Query, lq store.ListQuery) (int64, error) {
	var n int64
	err := sr.walk(c, lq, "", func(obj map[string]any, _ []byte, _ string) bool {
		if q.Match(obj) {
			n++
		}
		return n < maxTotalCount
	})
	return n, err
}

// decodeObject decodes a stored object for matching, numbers kept exact.
func decodeObject(data []byte) (map[string]any, string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, "", err
	}
	id, ok := obj["id"].(string)
	if !ok {
		return nil, "", errors.New("search: stored object without an id")
	}
	return obj, id, nil
}

// narrow lets the store skip rows no match can be: in a query of ANDs an
// exact match on an indexed id field becomes a list filter, and each
// comparison of created bounds the created range. Match still judges
// every row read.
func (sr searchable) narrow(lq *store.ListQuery, q *search.Query) {
	for _, cl := range q.Required() {
		if cl.Negated || cl.Null {
			continue
		}
		if col, ok := sr.indexed[cl.Field]; ok && cl.Kind == search.ID && cl.Op == search.Eq {
			lq.Filters = append(lq.Filters, store.Filter{Col: col, Values: []any{cl.Value}})
		}
		if cl.Field != "created" {
			continue
		}
		n := cl.Num
		r := &lq.Created
		switch cl.Op {
		case search.Eq:
			r.Gte, r.Lte = higher(r.Gte, n), lower(r.Lte, n)
		case search.Gt:
			r.Gt = higher(r.Gt, n)
		case search.Gte:
			r.Gte = higher(r.Gte, n)
		case search.Lt:
			r.Lt = lower(r.Lt, n)
		case search.Lte:
			r.Lte = lower(r.Lte, n)
		}
	}
}

// higher and lower tighten one bound of a range with n.
func higher(bound *int64, n int64) *int64 {
	if bound != nil && *bound >= n {
		return bound
	}
	return &n
}

func lower(bound *int64, n int64) *int64 {
	if bound != nil && *bound <= n {
		return bound
	}
	return &n
}

// takeTotalCount reports whether the request asked for total_count
// (expand[]=total_count, as Stripe has it) and takes it out of expand[],
// whose other paths name fields of the objects under data.
func takeTotalCount(c *call) bool {
	if !slices.Contains(c.expand, "total_count") {
		return false
	}
	c.expand = slices.DeleteFunc(slices.Clone(c.expand), func(p string) bool { return p == "total_count" })
	return true
}

// A page token is the id of the row the next page's scan starts after,
// base64url-encoded: opaque to callers, as Stripe's are.
func pageToken(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// pageCursor reads a page token back into the id of its row.
func (sr searchable) pageCursor(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 || sr.prefix != "" && !isID(string(raw), sr.prefix) {
		return "", sr.badPage(token)
	}
	return string(raw), nil
}

func (sr searchable) badPage(token string) error {
	return errs.Invalid("", "page", "Invalid page: %q is not a next_page value of a %s search of this account.", token, sr.resource.Name)
}

// isID reports whether s looks like an id of prefix: prefix_ then letters
// and digits.
func isID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
