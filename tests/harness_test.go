package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/internal/server"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// The end-to-end harness: a real server (the wiring of `stockledger serve`) on a fresh
// database, a superuser, users with chosen roles made through the API itself, and an
// HTTP client that speaks to the server as InvenTree's clients do.
//
//	s := StartServer(t)                       // superuser s.Admin, token auth
//	clerk := s.CreateUser(UserSpec{Roles: []string{"stock.view", "part.add"}})
//	clerk.Call(http.MethodGet, "/api/user/me/", nil, http.StatusOK).Object()["username"]
//	s.Anonymous().Call(http.MethodGet, "/api/user/me/", nil, http.StatusUnauthorized)
//
// Call fails the test when the status is not the one wanted, with the response body in
// the message; Do returns whatever came. Paths are absolute ("/api/stock/"); bodies are
// encoded as JSON.

// adminPassword is the harness superuser's password. Tests may use it; it must never
// appear in the event log.
const adminPassword = "correct-horse-battery-staple"

// Server is a running Stockledger.
type Server struct {
	t *testing.T
	// App is the wired application: its Store, Runner, Pool and command handlers.
	App *server.App
	// URL is the base URL, without a trailing slash.
	URL string
	// DatabaseURL is the server's database, for a second process on it (a rebuild).
	DatabaseURL string
	// Admin is the superuser "admin" (password adminPassword), authenticated by token.
	Admin *User

	names *atomic.Int64 // for generated usernames, shared by For's copies
}

// StartServer starts a server on a fresh database with a superuser, created as `serve`
// creates INVENTREE_ADMIN_USER.
func StartServer(t *testing.T) *Server {
	t.Helper()
	s := startBare(t)
	ctx := context.Background()
	created, err := s.App.Users.EnsureAdmin(ctx, "admin", adminPassword, "admin@example.com")
	if err != nil || !created {
		t.Fatalf("ensure admin: created %v, %v", created, err)
	}
	claim := user.CategoryUsername + "-" + user.UsernameKey("admin")
	s.WaitForStreams(claim)
	token := s.login("admin", adminPassword)
	s.Admin = &User{Client: s.Token(token), Username: "admin", Password: adminPassword, Token: token}
	s.Admin.PK = s.Admin.Get("/api/user/me/", http.StatusOK).PK()
	return s
}

// startBare starts a server with an empty log: no user at all.
func startBare(t *testing.T) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dbURL := pgtest.NewDatabase(t)
	// Warnings and errors (a projector's failure, a lost connection) are what a failing
	// test needs to show, next to its own output.
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, err := server.Open(ctx, server.Config{DatabaseURL: dbURL, Version: "test", Logger: logger})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
		if err := app.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	// Every test's stock history, whatever it did, must fold into the rows the
	// projector wrote event by event (projections.Folder): verify compares the two.
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		v, err := app.Runner.Verify(context.Background(), stockrm.ProjectorName, nil)
		if err != nil {
			t.Errorf("verify stock: %v", err)
			return
		}
		for _, d := range v.Differences {
			t.Errorf("verify stock: %s %s: live %s, folded %s", d.Table, d.Key, d.Live, d.Rebuilt)
		}
	})
	return &Server{t: t, App: app, URL: "http://" + ln.Addr().String(), DatabaseURL: dbURL, names: new(atomic.Int64)}
}

// For is s bound to another test (a subtest), so that its failures are reported there.
func (s *Server) For(t *testing.T) *Server {
	c := *s
	c.t = t
	if s.Admin != nil {
		admin := *s.Admin
		admin.Client = s.Admin.Client.For(t)
		c.Admin = &admin
	}
	return &c
}

// startServer runs the same wiring as `stockledger serve` on a fresh database with an
// empty log and a free port, and returns its base URL.
func startServer(t *testing.T) string {
	t.Helper()
	return startBare(t).URL
}

// WaitForStreams waits until every read model has applied the latest events of the
// streams, for changes made through App rather than the API (which waits itself). The
// log's head would not do: it trails transactions still open anywhere on the
// PostgreSQL cluster, such as other tests' servers.
func (s *Server) WaitForStreams(streams ...string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last eventstore.Position
	for _, stream := range streams {
		evs, err := s.App.Store.ReadStream(ctx, stream, 1, 100000)
		if err != nil || len(evs) == 0 {
			s.t.Fatalf("read %s: %d events, %v", stream, len(evs), err)
		}
		if p := evs[len(evs)-1].Position; last.Before(p) {
			last = p
		}
	}
	if err := s.App.Runner.WaitFor(ctx, last); err != nil {
		s.t.Fatalf("wait for projections at %s: %v", last, err)
	}
}

// Head is the log's head, to read with EventsAfter what an action through the API
// appends next: the API waits for the read models, so everything before is in it.
func (s *Server) Head() eventstore.Position {
	s.t.Helper()
	head, err := s.App.Store.Head(context.Background())
	if err != nil {
		s.t.Fatalf("log head: %v", err)
	}
	return head
}

// EventsAfter reads the global log after pos (eventstore.Start for all of it).
func (s *Server) EventsAfter(pos eventstore.Position) []eventstore.Recorded {
	s.t.Helper()
	var out []eventstore.Recorded
	for {
		batch, err := s.App.Store.ReadAll(context.Background(), pos, 500)
		if err != nil {
			s.t.Fatalf("read the log after %s: %v", pos, err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
		pos = batch[len(batch)-1].Position
	}
}

// ---- clients ----

// Client sends requests with one set of credentials.
type Client struct {
	t    *testing.T
	base string
	http *http.Client
	// auth is the Authorization header, "" for none.
	auth string
}

// Anonymous is a client without credentials.
func (s *Server) Anonymous() *Client { return s.client("") }

// Basic is a client using HTTP Basic authentication.
func (s *Server) Basic(username, password string) *Client {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(username, password)
	return s.client(req.Header.Get("Authorization"))
}

// Token is a client using `Authorization: Token <key>`, as InvenTree's clients do.
func (s *Server) Token(key string) *Client { return s.client("Token " + key) }

// WithHeader is a client sending the given Authorization header as it is.
func (s *Server) WithHeader(authorization string) *Client { return s.client(authorization) }

func (s *Server) client(auth string) *Client {
	return &Client{t: s.t, base: s.URL, http: &http.Client{Timeout: 30 * time.Second}, auth: auth}
}

// For is c bound to another test (a subtest), so that failures are reported there.
func (c *Client) For(t *testing.T) *Client {
	cc := *c
	cc.t = t
	return &cc
}

// Response is an answer, read whole.
type Response struct {
	t      *testing.T
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
}

func (r *Response) String() string {
	return fmt.Sprintf("%s %s = %d %s", r.Method, r.Path, r.Status, r.Body)
}

// Do sends a request. A body that is not nil is sent as JSON ([]byte and
// json.RawMessage as they are). It fails the test only when the request cannot be sent.
func (c *Client) Do(method, path string, body any) *Response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		var data []byte
		switch b := body.(type) {
		case []byte:
			data = b
		case json.RawMessage:
			data = b
		default:
			var err error
			if data, err = json.Marshal(body); err != nil {
				c.t.Fatalf("%s %s: encode body: %v", method, path, err)
			}
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{t: c.t, Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Create POSTs body to path on behalf of t, wants 201 Created, and returns the new
// object's pk.
func (c *Client) Create(t *testing.T, path string, body any) int64 {
	t.Helper()
	return c.For(t).Call(http.MethodPost, path, body, http.StatusCreated).PK()
}

// Call is Do, failing the test (with the body) unless the status is want.
func (c *Client) Call(method, path string, body any, want int) *Response {
	c.t.Helper()
	r := c.Do(method, path, body)
	if r.Status != want {
		c.t.Fatalf("%s, want %d", r, want)
	}
	return r
}

// Get is Call with GET.
func (c *Client) Get(path string, want int) *Response {
	c.t.Helper()
	return c.Call(http.MethodGet, path, nil, want)
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s: body is not the JSON expected: %v", r, err)
	}
}

// Object is the body as a JSON object.
func (r *Response) Object() map[string]any {
	r.t.Helper()
	var m map[string]any
	r.JSON(&m)
	return m
}

// List is the body as a JSON array.
func (r *Response) List() []map[string]any {
	r.t.Helper()
	var l []map[string]any
	r.JSON(&l)
	return l
}

// WantJSON fails unless the body equals want as JSON (key order aside).
func (r *Response) WantJSON(want string) {
	r.t.Helper()
	var got, exp any
	r.JSON(&got)
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		r.t.Fatalf("bad expectation %q: %v", want, err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if !bytes.Equal(g, e) {
		r.t.Errorf("%s %s body\n got %s\nwant %s", r.Method, r.Path, g, e)
	}
}

// WantDetail fails unless the answer is status with {"detail": detail}.
func (r *Response) WantDetail(status int, detail string) {
	r.t.Helper()
	if r.Status != status {
		r.t.Errorf("%s, want %d", r, status)
		return
	}
	b, _ := json.Marshal(map[string]string{"detail": detail})
	r.WantJSON(string(b))
}

// PK is the body's "pk" (or "id") as an integer.
func (r *Response) PK() int64 {
	r.t.Helper()
	var v struct {
		PK *int64 `json:"pk"`
		ID *int64 `json:"id"`
	}
	r.JSON(&v)
	switch {
	case v.PK != nil:
		return *v.PK
	case v.ID != nil:
		return *v.ID
	}
	r.t.Fatalf("%s: no pk", r)
	return 0
}

// ---- users ----

// User is an account the harness made, with a client authenticated by its token.
type User struct {
	*Client
	PK       int64
	Username string
	Password string
	Token    string
	Group    int64 // the group holding its roles; 0 when it has none
}

// UserSpec says what account CreateUser makes.
type UserSpec struct {
	// Username; default: generated.
	Username string
	// Roles are InvenTree's "role.perm" (as its tests' assignRole): "stock.view",
	// "part.add", "admin.delete", or "role.all" for every permission. Each permission
	// implies the lesser ones, as InvenTree's rule sets do (add implies change and view).
	Roles []string
	// Staff and Superuser are the account's flags.
	Staff, Superuser bool
}

// CreateUser makes an account through the API, as an administrator would: a group
// with the roles, the user in that group, a password set by the superuser, and a token
// fetched with Basic auth, exactly as inventree-python logs in.
func (s *Server) CreateUser(spec UserSpec) *User {
	s.t.Helper()
	admin := s.Admin.Client
	if spec.Username == "" {
		spec.Username = fmt.Sprintf("user%d", s.names.Add(1))
	}
	u := &User{Username: spec.Username, Password: "pw-" + spec.Username + "-Secret9"}
	groups := []int64{}
	if len(spec.Roles) > 0 {
		u.Group = s.CreateGroup(spec.Username+"-roles", spec.Roles...)
		groups = append(groups, u.Group)
	}
	created := admin.Call(http.MethodPost, "/api/user/", map[string]any{
		"username": spec.Username, "first_name": "", "last_name": "", "email": spec.Username + "@example.com",
		"is_staff": spec.Staff || spec.Superuser, "is_superuser": spec.Superuser, "group_ids": groups,
	}, http.StatusCreated)
	u.PK = created.PK()
	admin.Call(http.MethodPut, fmt.Sprintf("/api/user/%d/set-password/", u.PK), map[string]any{"password": u.Password}, http.StatusOK)
	u.Token = s.login(u.Username, u.Password)
	u.Client = s.Token(u.Token)
	return u
}

// login fetches a token with Basic auth, as inventree-python does.
func (s *Server) login(username, password string) string {
	s.t.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	s.Basic(username, password).Call(http.MethodGet, "/api/user/token/?name=e2e", nil, http.StatusOK).JSON(&tok)
	return tok.Token
}

// CreateGroup makes a group holding the roles ("stock.view", "part.all", ...) through
// the API, as the superuser, and returns its pk.
func (s *Server) CreateGroup(name string, roles ...string) int64 {
	s.t.Helper()
	admin := s.Admin.Client
	var g struct {
		PK    int64 `json:"pk"`
		Roles []struct {
			PK   int64  `json:"pk"`
			Name string `json:"name"`
		} `json:"roles"`
	}
	admin.Call(http.MethodPost, "/api/user/group/", map[string]any{"name": name}, http.StatusCreated).JSON(&g)
	want := parseRoles(s.t, roles)
	for _, rs := range g.Roles {
		p, ok := want[user.Role(rs.Name)]
		if !ok {
			continue
		}
		admin.Call(http.MethodPatch, fmt.Sprintf("/api/user/ruleset/%d/", rs.PK), map[string]bool{
			"can_view": p.View, "can_add": p.Add, "can_change": p.Change, "can_delete": p.Delete,
		}, http.StatusOK)
		delete(want, user.Role(rs.Name))
	}
	if len(want) > 0 {
		s.t.Fatalf("group %q has no rule set for %v", name, want)
	}
	return g.PK
}

// parseRoles reads "role.perm" strings into rule sets.
func parseRoles(t *testing.T, roles []string) map[user.Role]user.PermSet {
	t.Helper()
	out := map[user.Role]user.PermSet{}
	for _, r := range roles {
		name, perm, _ := strings.Cut(r, ".")
		role := user.Role(name)
		if !role.Valid() {
			t.Fatalf("role %q: unknown role", r)
		}
		p := out[role]
		switch user.Perm(perm) {
		case user.PermView:
			p.View = true
		case user.PermAdd:
			p.Add = true
		case user.PermChange:
			p.Change = true
		case user.PermDelete:
			p.Delete = true
		case "all":
			p = user.PermSet{View: true, Add: true, Change: true, Delete: true}
		default:
			t.Fatalf("role %q: unknown permission", r)
		}
		out[role] = p
	}
	return out
}

// query builds "path?k=v&..." from pairs.
func query(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return path + "?" + v.Encode()
}
