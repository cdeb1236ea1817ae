package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/paymentlink"
	"github.com/payd/payd/internal/store"
)

// paymentLinkRoutes registers Payment Links (secret key only) and the
// link's public page, which opens a Checkout Session for each visitor.
// Stripe has no DELETE for links; payd answers one with why.
func (s *Server) paymentLinkRoutes() {
	s.handle("POST /v1/payment_links", secretOnly, s.createPaymentLink)
	s.handle("GET /v1/payment_links", secretOnly, s.listPaymentLinks)
	s.handle("GET /v1/payment_links/{payment_link}", secretOnly, s.retrievePaymentLink)
	s.handle("POST /v1/payment_links/{payment_link}", secretOnly, s.updatePaymentLink)
	s.handle("GET /v1/payment_links/{payment_link}/line_items", secretOnly, s.listPaymentLinkItems)
	s.mux.HandleFunc("DELETE /v1/payment_links/{payment_link}", s.deletePaymentLink)
	s.mux.HandleFunc("GET /_payd/links/{payment_link}", s.paymentLinkPage)
}

// paymentLinkURL is a link's public page.
func paymentLinkURL(ctx context.Context, linkID string) string {
	base, _ := ctx.Value(baseURLKey{}).(string)
	return base + "/_payd/links/" + linkID
}

func (s *Server) createPaymentLink(c *call) (result, error) {
	data, err := s.paymentLinks.Create(c.ctx, c.tx, c.account, c.params)
	if err != nil {
		return result{}, err
	}
	return s.paymentLinkResult(c, data)
}

func (s *Server) retrievePaymentLink(c *call) (result, error) {
	data, err := paymentlink.Get(c.ctx, c.tx, c.account, c.path("payment_link"))
	if err != nil {
		return result{}, err
	}
	return s.paymentLinkResult(c, data)
}

func (s *Server) updatePaymentLink(c *call) (result, error) {
	data, err := s.paymentLinks.Update(c.ctx, c.tx, c.account, c.path("payment_link"), c.params)
	if err != nil {
		return result{}, err
	}
	return s.paymentLinkResult(c, data)
}

// paymentLinkResult adds line_items when the request expands them:
// Stripe leaves them out of the link unless asked.
func (s *Server) paymentLinkResult(c *call, data []byte) (result, error) {
	if !slices.ContainsFunc(c.expand, func(p string) bool { return p == "line_items" || strings.HasPrefix(p, "line_items.") }) {
		return result{body: data}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return result{}, err
	}
	id := ""
	json.Unmarshal(obj["id"], &id)
	items, err := paymentlink.Items(c.ctx, c.tx, c.account, id)
	if err != nil {
		return result{}, err
	}
	obj["line_items"] = itemsList("/v1/payment_links/"+id+"/line_items", items, false)
	body, err := json.Marshal(obj)
	return result{body: body}, err
}

func (s *Server) listPaymentLinkItems(c *call) (result, error) {
	id := c.path("payment_link")
	items, err := paymentlink.Items(c.ctx, c.tx, c.account, id)
	if err != nil {
		return result{}, err
	}
	page, hasMore, err := pageItems(c, items)
	if err != nil {
		return result{}, err
	}
	return result{body: itemsList("/v1/payment_links/"+id+"/line_items", page, hasMore), list: true}, nil
}

// listPaymentLinks lists the account's links, newest first; active
// filters on the INTEGER 0/1 column.
func (s *Server) listPaymentLinks(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	if v := c.params.Bool("active"); v != nil {
		n := int64(0)
		if *v {
			n = 1
		}
		q.Filters = append(q.Filters, store.Filter{Col: "active", Values: []any{n}})
	}
	return list(c, paymentlink.Table, "payment_link", "/v1/payment_links", q)
}

// deletePaymentLink answers the DELETE Stripe does not have (links are
// deactivated, never deleted) with the 404 of an unknown route, but in
// words that say what to do instead. Like any unknown route's answer it
// needs no key: it tells nothing about the link.
func (s *Server) deletePaymentLink(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &errs.Error{Status: http.StatusNotFound, Type: errs.TypeInvalidRequest,
		Message: "Payment Links cannot be deleted (there is no DELETE /v1/payment_links/{payment_link}). Deactivate the link instead: POST /v1/payment_links/" +
			r.PathValue("payment_link") + " with active=false; active=true reactivates it."})
}

// paymentLinkPage is a link's public URL. Each visit starts a new
// Checkout Session and sends the customer to its page (303), so GET here
// writes; a deactivated link shows its expiry page and starts nothing.
// HEAD (link previews, monitors) says whether the link is usable without
// starting a session.
func (s *Server) paymentLinkPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	linkID := r.PathValue("payment_link")
	q := r.URL.Query()
	v := paymentlink.Visit{ClientReferenceID: q.Get("client_reference_id"), PrefilledEmail: q.Get("prefilled_email")}
	head := r.Method == http.MethodHead
	var opened paymentlink.Opened
	var err error
	if head {
		err = s.store.View(ctx, func(tx store.Tx) error {
			opened, err = s.paymentLinks.Peek(ctx, tx, linkID)
			return err
		})
	} else {
		err = s.store.Update(ctx, func(tx store.Tx) error {
			opened, err = s.paymentLinks.Open(ctx, tx, linkID, v)
			return err
		})
	}
	var e *errs.Error
	switch {
	case errors.Is(err, paymentlink.ErrNoLink):
		renderTemplate(w, http.StatusNotFound, "checkout-status.html", statusView{Title: "Page not found",
			Message: "There is no payment link at this address. Ask the merchant for a new link."})
	case errors.As(err, &e) && e.Status < 500:
		// The link's own settings no longer make a session (a price
		// archived since, say): the merchant must fix the link.
		renderTemplate(w, http.StatusConflict, "checkout-status.html", statusView{Title: "This payment link can't be used right now",
			Message: "The merchant's payment link could not open a checkout page: " + e.Message})
	case err != nil:
		s.log.Error("payment link page", "payment_link", linkID, "err", err)
		renderTemplate(w, http.StatusInternalServerError, "checkout-status.html", statusView{Title: "Something went wrong",
			Message: "This page could not be loaded. Try again in a moment."})
	case opened.Inactive:
		v := statusView{Title: "This link is no longer active",
			Message: "This payment link is no longer active, so nothing can be bought through it. Contact the merchant for a new link."}
		if opened.InactiveMessage != "" {
			v.Message = opened.InactiveMessage
		}
		renderTemplate(w, http.StatusGone, "checkout-status.html", v)
	case head:
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, opened.SessionURL, http.StatusSeeOther)
	}
}
