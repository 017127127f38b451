// Package tests drives a real Stockledger server over HTTP, on a real PostgreSQL.
//
// harness_test.go starts servers and talks to them; auth_test.go is the table of every
// endpoint's access rule, which each area extends; the other files test areas end to
// end.
package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stockledger/stockledger/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthAndMetrics(t *testing.T) {
	base := startServer(t)

	status, body := get(t, base+"/healthz")
	if status != http.StatusOK {
		t.Fatalf("GET /healthz = %d %s", status, body)
	}
	var health struct {
		Status  string `json:"status"`
		Version string `json:"version"`
		Head    string `json:"head"`
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil || health.Status != "ok" || health.Version != "test" || health.Head != "0/0" {
		t.Fatalf("GET /healthz body = %s (%v)", body, err)
	}

	status, body = get(t, base+"/metrics")
	if status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("GET /metrics = %d, %.200s", status, body)
	}
}
