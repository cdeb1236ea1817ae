package api

import (
	"context"

	"github.com/payd/payd/internal/store"
)

// sweep runs step, each in its own transaction, on up to a page of rows
// of table whose deadline column col has passed: the work of the
// background sweepers (settlements, expiries). It returns how many it
// found, so that a caller drains the backlog while pages come back full.
func (s *Server) sweep(ctx context.Context, table, col string, step func(tx store.Tx, ref store.Ref) error) (int, error) {
	var due []store.Ref
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		due, err = tx.Due(ctx, table, col, s.now().UnixMilli(), SweepPage)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, ref := range due {
		if err := s.store.Update(ctx, func(tx store.Tx) error { return step(tx, ref) }); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// SweepPage is how many due rows a sweep takes at once; a sweep that found
// fewer has drained its backlog.
const SweepPage = 100
