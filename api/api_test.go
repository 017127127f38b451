package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
)

func TestConfigValidate(t *testing.T) {
	err := (&Config{}).Validate()
	if err == nil || !strings.Contains(err.Error(), "no authenticator") || !strings.Contains(err.Error(), "no version") {
		t.Fatalf("Validate() = %v, want both problems", err)
	}
	if _, err := New(Config{Auth: testAuth()}); err == nil {
		t.Fatal("New accepted a config without a version")
	}
	if _, err := New(Config{Auth: testAuth(), Version: "1"}); err != nil {
		t.Fatalf("New: %v", err)
	}
}

func TestInfoAnonymous(t *testing.T) {
	a := newTestAPI(t, func(c *Config) { c.InstanceID = "abc" })
	got := a.do(t, "GET", "/api/", "")
	wantJSON(t, got, 200, "")
	body := got.json(t).(map[string]any)
	for _, k := range []string{"server", "id", "version", "instance", "apiVersion", "worker_running", "worker_count",
		"worker_pending_tasks", "plugins_enabled", "plugins_install_disabled", "email_configured", "debug_mode",
		"docker_mode", "default_locale", "customize", "active_plugins", "system_health", "database", "platform",
		"installer", "target", "django_admin", "settings"} {
		if _, ok := body[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	for _, k := range []string{"active_plugins", "system_health", "database", "platform", "installer", "target", "django_admin"} {
		if body[k] != nil {
			t.Errorf("%s = %v for an anonymous request, want null", k, body[k])
		}
	}
	if !strings.Contains(got.body, `"apiVersion":530,`) {
		t.Errorf("apiVersion must be the integer 530: %s", got.body)
	}
	if body["server"] != "InvenTree" || body["version"] != "1.5.0" || body["instance"] != "Test Instance" || body["id"] != "abc" {
		t.Errorf("identity: %s", got.body)
	}
	if sl, _ := body["stockledger"].(map[string]any); sl["version"] != "0.0.0-test" {
		t.Errorf("stockledger = %v", body["stockledger"])
	}
	for _, k := range []string{"logo", "splash", "login_message", "navbar_message"} {
		if _, ok := body["customize"].(map[string]any)[k]; !ok {
			t.Errorf("customize.%s missing", k)
		}
	}
	for _, k := range []string{"sso_registration", "registration_enabled", "password_forgotten_enabled"} {
		if _, ok := body["settings"].(map[string]any)[k]; !ok {
			t.Errorf("settings.%s missing", k)
		}
	}
	if got := a.do(t, "GET", "/api/?format=json", ""); got.status != 200 {
		t.Errorf("?format=json: %d", got.status)
	}
}

func TestInfoStaffAndCredentials(t *testing.T) {
	a := newTestAPI(t)
	staff := a.do(t, "GET", "/api/", "", token("staff")).json(t).(map[string]any)
	if staff["database"] != "postgresql" || staff["system_health"] != true || staff["active_plugins"] == nil {
		t.Errorf("staff sees internals: %v", staff)
	}
	viewer := a.do(t, "GET", "/api/", "", token("viewer")).json(t).(map[string]any)
	if viewer["database"] != nil {
		t.Errorf("non-staff sees database %v", viewer["database"])
	}
	// DRF authenticates every request: a wrong token is refused even here.
	got := a.do(t, "GET", "/api/", "", token("nope"))
	wantJSON(t, got, 401, `{"detail": "Invalid token."}`)
	if got.header.Get("WWW-Authenticate") != "Token" {
		t.Errorf("WWW-Authenticate = %q", got.header.Get("WWW-Authenticate"))
	}
}

func TestVersionIsStaffOnly(t *testing.T) {
	a := newTestAPI(t)
	wantJSON(t, a.do(t, "GET", "/api/version/", ""), 401, `{"detail": "Authentication credentials were not provided."}`)
	wantJSON(t, a.do(t, "GET", "/api/version/", "", token("viewer")), 403, `{"detail": "You do not have permission to perform this action."}`)
	got := a.do(t, "GET", "/api/version/", "", token("staff"))
	wantJSON(t, got, 200, "")
	v := got.json(t).(map[string]any)["version"].(map[string]any)
	if v["api"] != float64(530) || v["server"] != "1.5.0" {
		t.Errorf("version = %v", v)
	}
}

func TestAuthentication(t *testing.T) {
	a := newTestAPI(t)
	tests := []struct {
		name   string
		method string
		header string
		status int
		body   string
	}{
		{"no credentials", "GET", "", 401, `{"detail": "Authentication credentials were not provided."}`},
		{"unknown token", "GET", token("nope"), 401, `{"detail": "Invalid token."}`},
		{"wrong password", "GET", "Authorization: Basic YWRtaW46d3Jvbmc=", 401, `{"detail": "Invalid username/password."}`},
		{"right password", "GET", "Authorization: Basic YWRtaW46c2VjcmV0", 200, ""},
		{"viewer reads", "GET", token("viewer"), 200, ""},
		{"viewer cannot add", "POST", token("viewer"), 403, `{"detail": "You do not have permission to perform this action."}`},
		{"staff without the role", "GET", token("staff"), 403, `{"detail": "You do not have permission to perform this action."}`},
		{"adder adds", "POST", token("adder"), 201, ""},
		{"superuser adds", "POST", token("super"), 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.do(t, tt.method, "/api/widget/", `{"name": "x", "quantity": 1}`, tt.header)
			wantJSON(t, got, tt.status, tt.body)
			if tt.status == 401 && got.header.Get("WWW-Authenticate") != "Token" {
				t.Errorf("401 without WWW-Authenticate: Token")
			}
		})
	}
}

func TestAuthenticatorFailureIs500(t *testing.T) {
	a := newTestAPI(t)
	got := a.do(t, "GET", "/api/", "", token("broken"))
	wantJSON(t, got, 500, "")
	if strings.Contains(got.body, "connection refused") {
		t.Errorf("500 leaks the error: %s", got.body)
	}
}

func TestMethodPerm(t *testing.T) {
	tests := map[string]user.Perm{
		"GET": user.PermView, "HEAD": user.PermView, "OPTIONS": user.PermView,
		"POST": user.PermAdd, "PUT": user.PermChange, "PATCH": user.PermChange, "DELETE": user.PermDelete,
	}
	for method, want := range tests {
		if got := methodPerm(method); got != want {
			t.Errorf("methodPerm(%s) = %s, want %s", method, got, want)
		}
	}
	e := endpoint{Perms: map[string]user.Perm{"POST": user.PermChange}}
	if e.perm("POST") != user.PermChange || e.perm("GET") != user.PermView {
		t.Error("endpoint Perms must override the method map and only it")
	}
}

func TestCommandMetadata(t *testing.T) {
	a := newTestAPI(t)
	got := a.do(t, "GET", "/api/widget/meta/", "", token("viewer")).json(t).(map[string]any)
	if got["user"] != "viewer" || got["user_id"] != float64(3) || got["request_id"] == "" || got["request_id"] != got["correlation_id"] {
		t.Errorf("metadata = %v", got)
	}
}

func TestNotFound(t *testing.T) {
	a := newTestAPI(t)
	for _, path := range []string{"/api/nothing/here/?x=1", "/api/widget/abc/", "/api/widget", "/api/widget/1/extra/"} {
		wantJSON(t, a.do(t, "GET", path, ""), 404, `{"detail": "API endpoint not found", "url": "http://example.com`+path+`"}`)
	}
	// Behind a proxy the URL is the one the client used.
	p := newTestAPI(t, func(c *Config) { c.TrustProxyHeaders = true })
	got := p.do(t, "POST", "/api/nope/", "", "X-Forwarded-Proto: https", "X-Forwarded-Host: inv.example.org")
	wantJSON(t, got, 404, `{"detail": "API endpoint not found", "url": "https://inv.example.org/api/nope/"}`)
	// Not trusted, the headers change nothing.
	got = a.do(t, "GET", "/api/nope/", "", "X-Forwarded-Host: evil.example")
	wantJSON(t, got, 404, `{"detail": "API endpoint not found", "url": "http://example.com/api/nope/"}`)
	// An id too large to be a key.
	wantJSON(t, a.do(t, "GET", "/api/widget/99999999999999999999/", "", token("viewer")), 404, `{"detail": "Not found."}`)
	wantJSON(t, a.do(t, "GET", "/api/widget/9/", "", token("viewer")), 404, `{"detail": "No Widget matches the given query."}`)
}

func TestMethodNotAllowed(t *testing.T) {
	a := newTestAPI(t)
	wantJSON(t, a.do(t, "DELETE", "/api/widget/", "", token("super")), 405, `{"detail": "Method \"DELETE\" not allowed."}`)
	wantJSON(t, a.do(t, "PUT", "/api/", "", token("super")), 405, `{"detail": "Method \"PUT\" not allowed."}`)
	wantJSON(t, a.do(t, "POST", "/api/", ""), 405, `{"detail": "Method \"POST\" not allowed."}`)
	// As in DRF, authentication and permissions come first.
	wantJSON(t, a.do(t, "DELETE", "/api/widget/", ""), 401, `{"detail": "Authentication credentials were not provided."}`)
	wantJSON(t, a.do(t, "DELETE", "/api/widget/", "", token("viewer")), 403, "")
	// A method chi does not know never reaches a route; unmounted, the API answers it.
	rec := httptest.NewRecorder()
	a.s.router(a.s.routes).ServeHTTP(rec, httptest.NewRequest("FROB", "/", nil))
	wantJSON(t, response{rec.Code, rec.Header(), rec.Body.String()}, 405, `{"detail": "Method \"FROB\" not allowed."}`)
}

func TestFormatParameter(t *testing.T) {
	a := newTestAPI(t)
	wantJSON(t, a.do(t, "POST", "/api/widget/?format=json", `{"name": "x", "quantity": "2"}`, token("super")), 201, `{"name": "x", "quantity": "2"}`)
	wantJSON(t, a.do(t, "GET", "/api/widget/1/?format=json", "", token("super")), 200, `{"pk": 1, "name": "alpha", "quantity": "1.5"}`)
	wantJSON(t, a.do(t, "GET", "/api/widget/1/?format=api", "", token("super")), 404, `{"detail": "Not found."}`)
}

func TestContentType(t *testing.T) {
	a := newTestAPI(t)
	for _, got := range []response{
		a.do(t, "GET", "/api/", ""),
		a.do(t, "GET", "/api/widget/", "", token("super")),
		a.do(t, "OPTIONS", "/api/widget/", "", token("super")),
		a.do(t, "GET", "/api/nope/", ""),
		a.do(t, "POST", "/api/widget/", `{`, token("super")),
		a.do(t, "GET", "/api/widget/fail/", "", token("super")),
	} {
		if ct := got.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q, want exactly application/json (%d %s)", ct, got.status, got.body)
		}
	}
	got := a.do(t, "DELETE", "/api/widget/1/", "", token("super"))
	if got.status != 204 || got.body != "" || got.header.Get("Content-Type") != "" {
		t.Errorf("DELETE: %d %q %q", got.status, got.header.Get("Content-Type"), got.body)
	}
	head := a.do(t, "HEAD", "/api/widget/1/", "", token("super"))
	if head.status != 200 || head.header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: %d %v", head.status, head.header)
	}
}

func TestServerErrors(t *testing.T) {
	a := newTestAPI(t)
	got := a.do(t, "GET", "/api/widget/fail/", "", token("viewer"))
	wantJSON(t, got, 500, `{"error": "errorString", "error_class": "*errors.errorString",
		"detail": "Error details can be found in the server log", "path": "/api/widget/fail/", "status_code": 500}`)
	if strings.Contains(got.body, "password") {
		t.Errorf("500 leaks the error: %s", got.body)
	}
	if n := strings.Count(a.logs.String(), "request failed"); n != 1 || !strings.Contains(a.logs.String(), "connection reset") {
		t.Errorf("want the error logged once, got %d:\n%s", n, a.logs.String())
	}
	got = a.do(t, "GET", "/api/widget/panic/", "", token("viewer"))
	wantJSON(t, got, 500, "")
	if !strings.Contains(a.logs.String(), "panic: nil map") {
		t.Errorf("panic not logged:\n%s", a.logs.String())
	}
}

func TestAwaitProjections(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*Config)
		status int
	}{
		{"caught up", func(c *Config) {
			c.Projections = waiterFunc(func(context.Context, eventstore.Position, ...string) error { return nil })
		}, 201},
		{"behind", func(c *Config) { c.Projections = blockingWaiter(); quickWait(c) }, 503},
		{"projection failing", func(c *Config) {
			c.Projections = waiterFunc(func(context.Context, eventstore.Position, ...string) error { return errors.New("no projection") })
		}, 500},
		{"no waiter", func(c *Config) {}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, tt.cfg)
			got := a.do(t, "POST", "/api/widget/write/", "", token("super"))
			wantJSON(t, got, tt.status, "")
			if tt.status == 503 && !strings.Contains(got.body, "Service temporarily unavailable") {
				t.Errorf("503 body %s", got.body)
			}
		})
	}
	if err := newTestAPI(t).s.awaitProjections(t.Context(), commands.Result{}); err != nil {
		t.Errorf("nothing appended: %v", err)
	}
}

func TestRequireRole(t *testing.T) {
	a := newTestAPI(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := a.s.router(func(r chi.Router) {
		r.With(a.s.requireRole(user.RoleStock, user.PermAdd)).Get("/x/", ok)
		r.Get("/y/", a.s.run(func(w http.ResponseWriter, r *http.Request) error {
			if err := checkRole(r, user.RolePart, user.PermView); err != nil {
				return err
			}
			writeNoContent(w)
			return nil
		}))
	})
	tests := []struct {
		path, tok string
		status    int
	}{
		{"/x/", "", 401}, {"/x/", "viewer", 403}, {"/x/", "adder", 204}, {"/x/", "super", 204},
		{"/y/", "", 401}, {"/y/", "adder", 403}, {"/y/", "super", 204},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.tok != "" {
			req.Header.Set("Authorization", "Token "+tt.tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s as %q: %d, want %d", tt.path, tt.tok, rec.Code, tt.status)
		}
	}
}
