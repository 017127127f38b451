package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/domain/user"
)

// fakeAuth authenticates `Authorization: Token <key>` from a fixed table and HTTP Basic
// admin:secret; the token "broken" fails as a database would.
type fakeAuth struct {
	tokens map[string]user.Access
}

var _ Authenticator = fakeAuth{}

func (f fakeAuth) Authenticate(_ context.Context, r *http.Request) (user.Access, bool, error) {
	if name, pw, ok := r.BasicAuth(); ok {
		if name == "admin" && pw == "secret" {
			return f.tokens["super"], true, nil
		}
		return user.Access{}, false, fmt.Errorf("basic %s: %w", name, user.ErrBadCredentials)
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return user.Access{}, false, nil
	}
	key := strings.TrimPrefix(h, "Token ")
	if key == "broken" {
		return user.Access{}, false, errors.New("token lookup: connection refused")
	}
	if a, ok := f.tokens[key]; ok {
		return a, true, nil
	}
	return user.Access{}, false, fmt.Errorf("token: %w", user.ErrInvalidToken)
}

// The test users: a superuser, a staff user without roles, a stock viewer and a stock
// user who may view and add.
func testAuth() fakeAuth {
	return fakeAuth{tokens: map[string]user.Access{
		"super":  {UserID: 1, Username: "admin", Active: true, Staff: true, Superuser: true},
		"staff":  {UserID: 2, Username: "staff", Active: true, Staff: true},
		"viewer": {UserID: 3, Username: "viewer", Active: true, Roles: map[user.Role]user.PermSet{user.RoleStock: {View: true}}},
		"adder":  {UserID: 4, Username: "adder", Active: true, Roles: map[user.Role]user.PermSet{user.RoleStock: {View: true, Add: true}}},
	}}
}

// logBuffer collects log records, safe for concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type testAPI struct {
	s    *server
	h    http.Handler
	logs *logBuffer
}

// newTestAPI builds the API as the server mounts it, at /api, with the test routes
// that exercise the building blocks next to the real ones.
func newTestAPI(t *testing.T, mutate ...func(*Config)) *testAPI {
	t.Helper()
	logs := &logBuffer{}
	cfg := Config{
		Auth:         testAuth(),
		Logger:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Version:      "0.0.0-test",
		InstanceName: "Test Instance",
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := s.router(func(r chi.Router) {
		s.routes(r)
		s.widgetRoutes(r)
	})
	root := chi.NewRouter()
	root.Mount("/api", h)
	return &testAPI{s: s, h: root, logs: logs}
}

// response is a recorded answer.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body.
func (r response) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, r.body)
	}
	return v
}

// do sends a request; headers are "Name: value" strings, a token is "Token key".
func (a *testAPI) do(t *testing.T, method, target, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://example.com"+target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.String()}
}

// token is the Authorization header of a test user.
func token(key string) string { return "Authorization: Token " + key }

// wantJSON checks a response's status, exact content type and body (compared as JSON).
func wantJSON(t *testing.T, got response, status int, body string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status %d, want %d; body %s", got.status, status, got.body)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want exactly application/json", ct)
	}
	if body == "" {
		return
	}
	var g, w any
	if err := json.Unmarshal([]byte(got.body), &g); err != nil {
		t.Fatalf("body not JSON: %q", got.body)
	}
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatalf("bad want %q: %v", body, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("body\n got %s\nwant %s", gb, wb)
	}
}
