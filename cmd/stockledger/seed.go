package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/seed"
	"github.com/stockledger/stockledger/internal/server"
)

func seedCmd(cfg *server.Config) *cobra.Command {
	var c seed.Config
	cmd := &cobra.Command{
		Use:   "seed --events N",
		Short: "Write a realistic stock history into the ledger (for benchmarks and demonstrations)",
		Long: `seed writes part categories, parts and stock locations through the commands, then
stock items and their movements (receipts, additions, removals, counts, transfers that
split items, merges, status changes), decided by the stock rules and appended in
batches, until the log has grown by --events events. Use a scratch database: the
history stays in the ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := commands.WithMetadata(cmd.Context(), eventstore.Metadata{RequestID: "seed"})
			app, err := server.Open(ctx, *cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			out := cmd.OutOrStdout()
			last := time.Now()
			c.Progress = func(n int) {
				if time.Since(last) >= 5*time.Second {
					last = time.Now()
					fmt.Fprintf(cmd.ErrOrStderr(), "seed: %d of %d events\n", n, c.Events)
				}
			}
			res, err := seed.Run(ctx, seed.Deps{Executor: app.Executor, Store: app.Store, Parts: app.Parts, Stock: app.Stock, Keys: app.Keys}, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "seeded %d events (%d parts, %d locations, %d stock items) in %s, %.0f events/s\n",
				res.Events, res.Parts, res.Locations, res.Items, res.Took.Round(time.Millisecond), float64(res.Events)/res.Took.Seconds())
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&c.Events, "events", 100_000, "events to append")
	f.IntVar(&c.Parts, "parts", 0, "parts to create (default: one per thousand events)")
	f.IntVar(&c.Locations, "locations", 0, "stock locations to create (default: one per five thousand events)")
	f.Uint64Var(&c.Seed, "seed", 1, "random seed")
	return cmd
}
