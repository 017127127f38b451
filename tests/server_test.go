// Package tests drives a real Stockledger server over HTTP, on a real PostgreSQL.
package tests

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/internal/server"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// startServer runs the same wiring as `stockledger serve` on a fresh database and a free
// port, and returns its base URL.
func startServer(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := server.Open(ctx, server.Config{DatabaseURL: pgtest.NewDatabase(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
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
	return "http://" + ln.Addr().String()
}

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
