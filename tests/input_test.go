package tests

import (
	"net/http"
	"testing"
)

// A NUL character cannot be stored in PostgreSQL text: an event carrying one would stop
// every read model that stores it, for good. Text fields and filters refuse it as
// Django does, and nothing is appended.
func TestNullCharactersAreRefused(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	head := s.Head()
	a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "Acme\x00"}, http.StatusBadRequest).
		WantJSON(`{"name":["Null characters are not allowed."]}`)
	a.Call(http.MethodPost, "/api/part/", map[string]any{"name": "Bolt", "description": "M3\x00"}, http.StatusBadRequest).
		WantJSON(`{"description":["Null characters are not allowed."]}`)
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "\x00"}, http.StatusBadRequest).
		WantJSON(`{"name":["Null characters are not allowed."]}`)
	wantNoEvents(t, s, head)

	a.Call(http.MethodGet, "/api/audit/?stream=%00", nil, http.StatusBadRequest).
		WantJSON(`{"stream":["Null characters are not allowed."]}`)
	a.Call(http.MethodGet, "/api/company/?name=a%00", nil, http.StatusBadRequest).
		WantJSON(`{"name":["Null characters are not allowed."]}`)

	// The API still writes afterwards: no read model was stopped.
	a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "Acme"}, http.StatusCreated)
}
