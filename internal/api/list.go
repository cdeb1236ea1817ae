package api

import (
	"errors"

	"github.com/payd/payd/internal/bufpool"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/jsonw"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Stripe's page size bounds.
const (
	defaultLimit = 10
	maxLimit     = 100
)

// listQuery reads Stripe's pagination parameters (limit, starting_after,
// ending_before, created) from a validated request.
func listQuery(c *call) (store.ListQuery, error) {
	p := c.params
	q := store.ListQuery{Account: c.account, Limit: defaultLimit}
	if n := p.Int("limit"); n != nil {
		if *n < 1 || *n > maxLimit {
			return q, errs.Invalid("parameter_invalid_integer", "limit",
				"Invalid limit: must be between 1 and %d (it currently is %d).", maxLimit, *n)
		}
		q.Limit = int(*n)
	}
	q.After = p.Str("starting_after")
	q.Before = p.Str("ending_before")
	if q.After != "" && q.Before != "" {
		return q, errs.Invalid("parameters_exclusive", "ending_before",
			"You may only specify one of these parameters: ending_before, starting_after.")
	}
	if p.Has("created") {
		if n := p.Int("created"); n != nil {
			q.Created.Gte, q.Created.Lte = n, n
		} else if r := p.Map("created"); r != nil {
			q.Created = store.Range{Gt: r.Int("gt"), Gte: r.Int("gte"), Lt: r.Int("lt"), Lte: r.Int("lte")}
		}
	}
	return q, nil
}

// list runs q on table and renders Stripe's list object. objectName names
// the resource in the error for an unknown cursor. The page is rendered
// into a pooled buffer as the store reads it, each object copied once;
// serve returns the buffer once the response is written.
func list(c *call, table, objectName, url string, q store.ListQuery) (result, error) {
	buf := bufpool.Get()
	b := append(*buf, listStart...)
	n := 0
	q.Each = func(data []byte) {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, data...)
		n++
	}
	page, err := c.tx.List(c.ctx, table, q)
	if err != nil {
		bufpool.Put(buf)
		if errors.Is(err, store.ErrCursorNotFound) {
			cursor, p := q.After, "starting_after"
			if q.Before != "" {
				cursor, p = q.Before, "ending_before"
			}
			return result{}, errs.NotFound(objectName, cursor, p)
		}
		return result{}, err
	}
	*buf = listEnd(b, url, page.HasMore)
	return result{body: *buf, list: true, buf: buf}, nil
}

// listStart opens the list envelope; listEnd closes it.
const listStart = `{"object":"list","data":[`

func listEnd(b []byte, url string, hasMore bool) []byte {
	b = jsonw.Bool(b, `],"has_more":`, hasMore)
	b = jsonw.String(b, `,"url":`, url)
	return append(b, '}')
}

// listBody writes the list envelope around already-rendered objects,
// without decoding them again.
func listBody(url string, hasMore bool, datas [][]byte) []byte {
	n := 64 + len(url)
	for _, d := range datas {
		n += len(d) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, listStart...)
	for i, d := range datas {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	return listEnd(b, url, hasMore)
}

// filterString adds an equality filter on col when the parameter is set.
func filterString(q *store.ListQuery, p param.Map, name, col string) {
	if v := p.String(name); v != nil {
		q.Filters = append(q.Filters, store.Filter{Col: col, Values: []any{*v}})
	}
}
