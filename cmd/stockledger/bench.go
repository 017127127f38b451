package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/stockledger/stockledger/internal/bench"
	"github.com/stockledger/stockledger/internal/server"
)

func benchCmd(cfg *server.Config) *cobra.Command {
	b := bench.Config{Parts: 1000, Locations: 1000, Items: 100_000, ListClients: 50, DetailClients: 50, TransferClients: 16}
	seedFlag := true
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Seed parts, locations and stock through the API, then measure list, detail and transfer requests",
		Long: `bench seeds --parts, --locations and --items through the HTTP API, then runs each
scenario for --duration at its concurrency and prints throughput and p50/p99.

Without --url it starts a server in this process on the configured database (use a
scratch DATABASE_URL: the seed stays in the ledger) with a bench superuser.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			b.Progress = out
			b.NoSeed = !seedFlag
			if b.URL == "" {
				stop, err := startBenchServer(ctx, cfg, &b)
				if err != nil {
					return err
				}
				defer stop()
			}
			if cpuProfile != "" {
				// The profile starts once the seed is done, so that it shows the scenarios
				// (and with no --url the server too): run one at a time to read its share.
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer f.Close()
				afterSeed := b.AfterSeed
				b.AfterSeed = func(ctx context.Context) error {
					if afterSeed != nil {
						if err := afterSeed(ctx); err != nil {
							return err
						}
					}
					return pprof.StartCPUProfile(f)
				}
				defer pprof.StopCPUProfile()
			}
			results, err := bench.Run(ctx, b)
			if err != nil {
				return err
			}
			for _, r := range results {
				fmt.Fprintln(out, r)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&b.URL, "url", "", "server to measure (default: start one in this process)")
	f.StringVar(&b.Username, "username", "", "superuser of the server at --url")
	f.StringVar(&b.Password, "password", "", "that superuser's password")
	f.IntVar(&b.Parts, "parts", b.Parts, "parts to seed")
	f.IntVar(&b.Locations, "locations", b.Locations, "stock locations to seed")
	f.IntVar(&b.Items, "items", b.Items, "stock items to seed")
	f.IntVar(&b.SeedClients, "seed-clients", 16, "concurrency of the seed")
	f.IntVar(&b.ListClients, "list-clients", b.ListClients, "clients listing stock by location (0 skips)")
	f.IntVar(&b.DetailClients, "detail-clients", b.DetailClients, "clients reading stock items (0 skips)")
	f.IntVar(&b.TransferClients, "transfer-clients", b.TransferClients, "clients transferring stock (0 skips)")
	f.DurationVar(&b.Duration, "duration", 20*time.Second, "duration of each scenario")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run (server included without --url) to this file")
	f.BoolVar(&seedFlag, "seed", true, "seed first; --seed=false measures the locations and items already there")
	return cmd
}

// startBenchServer serves the configured database on a free loopback port with a new
// superuser, and points b at it.
func startBenchServer(ctx context.Context, cfg *server.Config, b *bench.Config) (stop func(), err error) {
	app, err := server.Open(ctx, *cfg)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 12)
	if _, err := rand.Read(secret); err != nil {
		return nil, errors.Join(err, app.Close())
	}
	b.Username, b.Password = "bench-"+hex.EncodeToString(secret[:4]), hex.EncodeToString(secret)
	if _, err := app.Users.EnsureAdmin(ctx, b.Username, b.Password, b.Username+"@bench.invalid"); err != nil {
		return nil, errors.Join(err, app.Close())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, app.Close())
	}
	b.URL = "http://" + ln.Addr().String()
	b.AfterSeed = func(ctx context.Context) error {
		_, err := app.Pool.Exec(ctx, "ANALYZE")
		return err
	}
	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- app.Serve(serveCtx, ln) }()
	// The new superuser must be in the users read model before the bench logs in.
	waitCtx, waitCancel := context.WithTimeout(ctx, 30*time.Second)
	defer waitCancel()
	if err := waitForLogin(waitCtx, b); err != nil {
		cancel()
		<-done
		return nil, errors.Join(err, app.Close())
	}
	return func() {
		cancel()
		<-done
		app.Close()
	}, nil
}

// waitForLogin polls until the bench user can authenticate.
func waitForLogin(ctx context.Context, b *bench.Config) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL+"/api/user/me/", nil)
		if err != nil {
			return err
		}
		req.SetBasicAuth(b.Username, b.Password)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench user cannot log in: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
