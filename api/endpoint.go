package api

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/domain/user"
)

// handlerFunc is an endpoint's handler: it writes a success response itself and
// returns any failure for fail to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// endpoint is one InvenTree URL: who may use it, a handler per method, and how OPTIONS
// describes it. Register it with handle.
type endpoint struct {
	// Role guards the endpoint with InvenTree's RolePermission: GET, HEAD and OPTIONS
	// need the role's view permission, POST add (order and stock actions are POSTs, so
	// they need add, as in InvenTree), PUT and PATCH change, DELETE delete. Empty: any
	// authenticated user.
	Role user.Role
	// Perms overrides the permission a method needs, as an InvenTree view's rolemap.
	Perms map[string]user.Perm
	// Staff restricts the endpoint to staff users (DRF's IsAdminUser) instead.
	Staff bool
	// Public lets anonymous requests through (GET /api/ only).
	Public bool

	Get, Post, Put, Patch, Delete handlerFunc

	// Meta describes the endpoint to OPTIONS.
	Meta meta
}

// perm is the permission a method needs on the endpoint.
func (e endpoint) perm(method string) user.Perm {
	if p, ok := e.Perms[method]; ok {
		return p
	}
	return methodPerm(method)
}

// handle registers e at pattern, a path relative to /api with InvenTree's trailing
// slash ("/stock/{id:[0-9]+}/"). A detail route's id must be matched as digits: an
// InvenTree URL with a non-numeric id is an unknown endpoint (404). Every method e has
// no handler for answers 405, but only after the same authentication and role checks,
// in DRF's order; OPTIONS and HEAD are added.
func (s *server) handle(r chi.Router, pattern string, e endpoint) {
	r = r.With(s.guard(e))
	r.Handle(pattern, s.run(func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusMethodNotAllowed, methodNotAllowedBody(r.Method))
	}))
	if e.Get != nil {
		r.Get(pattern, s.run(e.Get))
		r.Head(pattern, s.run(e.Get))
	}
	if e.Post != nil {
		r.Post(pattern, s.run(e.Post))
	}
	if e.Put != nil {
		r.Put(pattern, s.run(e.Put))
	}
	if e.Patch != nil {
		r.Patch(pattern, s.run(e.Patch))
	}
	if e.Delete != nil {
		r.Delete(pattern, s.run(e.Delete))
	}
	r.Options(pattern, s.run(s.options(e)))
}

// guard is the middleware enforcing e's access rule.
func (s *server) guard(e endpoint) func(http.Handler) http.Handler {
	switch {
	case e.Public:
		return func(next http.Handler) http.Handler { return next }
	case e.Staff:
		return s.requireStaff
	case e.Role != "":
		return s.requireRoleFor(e.Role, e.perm)
	default:
		return s.requireAuth
	}
}

// run adapts a handlerFunc to net/http: it refuses a format other than JSON, as DRF's
// ?format= override does (clients append ?format=json, which changes nothing), and
// hands any error to fail.
func (s *server) run(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f := lastValue(r.URL.Query(), "format"); f != "" && f != "json" {
			s.fail(w, r, &RequestError{Status: http.StatusNotFound, Detail: msgNotFound})
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// pathPK is the integer primary key in the URL parameter name (matched as digits by
// the route). One too large to be a key is no object: 404.
func pathPK(r *http.Request, name string) (int64, error) {
	pk, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || pk <= 0 {
		return 0, &RequestError{Status: http.StatusNotFound, Detail: msgNotFound}
	}
	return pk, nil
}
