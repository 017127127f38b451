// Package bench measures an InvenTree-compatible server over HTTP: it seeds parts,
// locations and stock items through the API (the real command path: API, commands,
// event store, projections), then drives list, detail and transfer requests at a chosen
// concurrency and reports throughput and latency percentiles.
//
// Everything goes through the public API, so the same run can measure Stockledger and
// InvenTree side by side.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes a run.
type Config struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:8000". Required.
	URL string
	// Username and Password of a superuser. Required.
	Username, Password string
	// Parts, Locations and Items to seed.
	Parts, Locations, Items int
	// SeedClients is the concurrency of seeding. Default: 16.
	SeedClients int
	// ListClients, DetailClients and TransferClients run each scenario at that
	// concurrency; 0 skips it.
	ListClients, DetailClients, TransferClients int
	// Duration of each scenario. Default: 20s.
	Duration time.Duration
	// Progress receives a line now and then; optional.
	Progress io.Writer
	// NoSeed measures the server as it is: locations and items are discovered through
	// the API instead of created.
	NoSeed bool
	// AfterSeed, if set, runs between the seed and the scenarios (the in-process bench
	// refreshes the planner's statistics there, as autovacuum would have by then).
	AfterSeed func(context.Context) error
}

// Result is one scenario's figures.
type Result struct {
	Name       string
	Clients    int
	Requests   int
	Errors     int
	Elapsed    time.Duration
	P50, P99   time.Duration
	Throughput float64 // requests per second
	FirstError string
}

func (r Result) String() string {
	s := fmt.Sprintf("%-40s clients=%-3d requests=%-7d errors=%-4d %8.0f req/s  p50=%-8s p99=%s",
		r.Name, r.Clients, r.Requests, r.Errors, r.Throughput, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
	if r.FirstError != "" {
		s += "\n    first error: " + r.FirstError
	}
	return s
}

// Run seeds the server and runs the scenarios.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.URL == "" || cfg.Username == "" {
		return nil, errors.New("bench: URL and username are required")
	}
	if cfg.SeedClients <= 0 {
		cfg.SeedClients = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 20 * time.Second
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	c := &client{base: cfg.URL, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
	}}
	if err := c.login(ctx, cfg.Username, cfg.Password); err != nil {
		return nil, err
	}
	var w *world
	var err error
	if cfg.NoSeed {
		w, err = discover(ctx, c, cfg)
	} else {
		w, err = seed(ctx, c, cfg)
	}
	if err != nil {
		return nil, err
	}
	if cfg.AfterSeed != nil {
		if err := cfg.AfterSeed(ctx); err != nil {
			return nil, err
		}
	}

	var results []Result
	if cfg.ListClients > 0 {
		results = append(results, drive(ctx, "GET /api/stock/?limit=100&location=X&part_detail=true", cfg.ListClients, cfg.Duration,
			func(ctx context.Context, rng *rand.Rand) error {
				loc := w.leaves[rng.IntN(len(w.leaves))]
				return c.hit(ctx, http.MethodGet, "/api/stock/?limit=100&part_detail=true&location="+strconv.FormatInt(loc, 10), nil, http.StatusOK)
			}))
	}
	if cfg.DetailClients > 0 {
		results = append(results, drive(ctx, "GET /api/stock/{id}/", cfg.DetailClients, cfg.Duration,
			func(ctx context.Context, rng *rand.Rand) error {
				id := w.items[rng.IntN(len(w.items))]
				return c.hit(ctx, http.MethodGet, "/api/stock/"+strconv.FormatInt(id, 10)+"/", nil, http.StatusOK)
			}))
	}
	if cfg.TransferClients > 0 {
		// Each client moves whole items of its own between locations, so transfers
		// measure the write path rather than contention on a few items.
		var next atomic.Int64
		results = append(results, drive(ctx, "POST /api/stock/transfer/", cfg.TransferClients, cfg.Duration,
			func(ctx context.Context, rng *rand.Rand) error {
				id := w.items[int(next.Add(1))%len(w.items)]
				to := w.leaves[rng.IntN(len(w.leaves))]
				body := map[string]any{
					"items":    []map[string]any{{"pk": id, "quantity": 1}},
					"location": to,
					"notes":    "bench",
				}
				return c.hit(ctx, http.MethodPost, "/api/stock/transfer/", body, http.StatusCreated)
			}))
	}
	return results, nil
}

// world is what the seed created.
type world struct {
	parts, leaves, items []int64
}

func seed(ctx context.Context, c *client, cfg Config) (*world, error) {
	w := &world{}
	start := time.Now()
	cat, err := c.create(ctx, "/api/part/category/", map[string]any{"name": "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	if err != nil {
		return nil, fmt.Errorf("seed category: %w", err)
	}
	w.parts, err = parallel(ctx, cfg.SeedClients, cfg.Parts, func(ctx context.Context, i int) (int64, error) {
		return c.create(ctx, "/api/part/", map[string]any{
			"name": fmt.Sprintf("bench part %d %d", cat, i), "description": "bench", "category": cat, "component": true,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("seed parts: %w", err)
	}
	fmt.Fprintf(cfg.Progress, "seeded %d parts in %s\n", len(w.parts), time.Since(start).Round(time.Millisecond))

	// Locations: a few roots, each with children, so cascades have depth.
	start = time.Now()
	roots := max(1, cfg.Locations/100)
	rootIDs, err := parallel(ctx, cfg.SeedClients, roots, func(ctx context.Context, i int) (int64, error) {
		return c.create(ctx, "/api/stock/location/", map[string]any{"name": fmt.Sprintf("bench warehouse %d %d", cat, i)})
	})
	if err != nil {
		return nil, fmt.Errorf("seed locations: %w", err)
	}
	w.leaves, err = parallel(ctx, cfg.SeedClients, max(1, cfg.Locations-roots), func(ctx context.Context, i int) (int64, error) {
		return c.create(ctx, "/api/stock/location/", map[string]any{"name": fmt.Sprintf("bin %d", i), "parent": rootIDs[i%len(rootIDs)]})
	})
	if err != nil {
		return nil, fmt.Errorf("seed locations: %w", err)
	}
	fmt.Fprintf(cfg.Progress, "seeded %d locations in %s\n", len(rootIDs)+len(w.leaves), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	var done atomic.Int64
	w.items, err = parallel(ctx, cfg.SeedClients, cfg.Items, func(ctx context.Context, i int) (int64, error) {
		ids, err := c.createList(ctx, "/api/stock/", map[string]any{
			"part": w.parts[i%len(w.parts)], "location": w.leaves[i%len(w.leaves)], "quantity": 1000,
		})
		if n := done.Add(1); n%5000 == 0 {
			fmt.Fprintf(cfg.Progress, "  %d items (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
		}
		if err != nil {
			return 0, err
		}
		return ids[0], nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed stock items: %w", err)
	}
	fmt.Fprintf(cfg.Progress, "seeded %d stock items in %s\n", len(w.items), time.Since(start).Round(time.Millisecond))
	return w, nil
}

// discover finds up to cfg.Locations sub-locations and cfg.Items stock items on the
// server, for a run without a seed.
func discover(ctx context.Context, c *client, cfg Config) (*world, error) {
	w := &world{}
	var locs []struct {
		PK     int64  `json:"pk"`
		Parent *int64 `json:"parent"`
	}
	data, err := c.do(ctx, http.MethodGet, "/api/stock/location/", nil, http.StatusOK)
	if err == nil {
		err = json.Unmarshal(data, &locs)
	}
	if err != nil {
		return nil, fmt.Errorf("discover locations: %w", err)
	}
	for _, l := range locs {
		if l.Parent != nil && len(w.leaves) < max(1, cfg.Locations) {
			w.leaves = append(w.leaves, l.PK)
		}
	}
	var page struct {
		Results []struct {
			PK int64 `json:"pk"`
		} `json:"results"`
	}
	data, err = c.do(ctx, http.MethodGet, "/api/stock/?part_detail=false&limit="+strconv.Itoa(max(1, cfg.Items)), nil, http.StatusOK)
	if err == nil {
		err = json.Unmarshal(data, &page)
	}
	if err != nil {
		return nil, fmt.Errorf("discover stock items: %w", err)
	}
	for _, it := range page.Results {
		w.items = append(w.items, it.PK)
	}
	if len(w.leaves) == 0 || len(w.items) == 0 {
		return nil, errors.New("discover: the server has no sub-locations or no stock items to measure")
	}
	fmt.Fprintf(cfg.Progress, "found %d sub-locations and %d stock items\n", len(w.leaves), len(w.items))
	return w, nil
}

// parallel runs n calls of fn on `clients` goroutines and returns their results in
// call order; the first error stops it.
func parallel(ctx context.Context, clients, n int, fn func(context.Context, int) (int64, error)) ([]int64, error) {
	out := make([]int64, n)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id, err := fn(ctx, i)
				if err != nil {
					cancel(err)
					return
				}
				out[i] = id
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	return out, ctx.Err()
}

// drive runs op on `clients` goroutines for d and measures each request.
func drive(ctx context.Context, name string, clients int, d time.Duration, op func(context.Context, *rand.Rand) error) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var latencies []time.Duration
	var errs int
	var firstErr string
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			var mine []time.Duration
			var myErrs int
			var myFirst string
			for ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, rng)
				if ctx.Err() != nil {
					break // the run ended during this request: don't count it
				}
				if err != nil {
					myErrs++
					if myFirst == "" {
						myFirst = err.Error()
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errs += myErrs
			if firstErr == "" {
				firstErr = myFirst
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	r := Result{Name: name, Clients: clients, Requests: len(latencies), Errors: errs, Elapsed: elapsed, FirstError: firstErr}
	if len(latencies) > 0 {
		r.P50 = latencies[len(latencies)*50/100]
		r.P99 = latencies[min(len(latencies)-1, len(latencies)*99/100)]
		r.Throughput = float64(len(latencies)) / elapsed.Seconds()
	}
	return r
}

// client is a minimal InvenTree API client with token auth.
type client struct {
	base  string
	token string
	http  *http.Client
}

func (c *client) login(ctx context.Context, username, password string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/user/token/?name=stockledger-bench", nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(username, password)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("login: %s: %s", resp.Status, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token == "" {
		return fmt.Errorf("login: no token in the answer (%v)", err)
	}
	c.token = body.Token
	return nil
}

func (c *client) do(ctx context.Context, method, path string, body any, want int) ([]byte, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %.300s", method, path, resp.StatusCode, data)
	}
	return data, nil
}

// hit is do for a measured request: the answer is read and dropped, since the client
// shares the machine with the server it measures and must cost it as little as it can.
func (c *client) hit(ctx context.Context, method, path string, body any, want int) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func (c *client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Token "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(req)
}

func (c *client) create(ctx context.Context, path string, body any) (int64, error) {
	data, err := c.do(ctx, http.MethodPost, path, body, http.StatusCreated)
	if err != nil {
		return 0, err
	}
	var obj struct {
		PK int64 `json:"pk"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	return obj.PK, nil
}

// createList posts to an endpoint that answers with a list of created objects, as
// POST /api/stock/ does.
func (c *client) createList(ctx context.Context, path string, body any) ([]int64, error) {
	data, err := c.do(ctx, http.MethodPost, path, body, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var objs []struct {
		PK int64 `json:"pk"`
	}
	if err := json.Unmarshal(data, &objs); err != nil || len(objs) == 0 {
		return nil, fmt.Errorf("POST %s: want a list of created objects: %v", path, err)
	}
	ids := make([]int64, len(objs))
	for i, o := range objs {
		ids[i] = o.PK
	}
	return ids, nil
}
