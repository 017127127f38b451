// Command stockledger is the Stockledger server and its operations tool.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stockledger/stockledger/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := newRoot(logger).ExecuteContext(ctx); err != nil {
		logger.Error("stockledger failed", "err", err)
		os.Exit(1)
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

func newRoot(logger *slog.Logger) *cobra.Command {
	cfg := server.Config{Logger: logger, Version: versionString()}
	root := &cobra.Command{
		Use:           "stockledger",
		Short:         "An InvenTree-compatible inventory server whose books are an event-sourced ledger",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	flags := root.PersistentFlags()
	flags.StringVar(&cfg.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"),
		"PostgreSQL URL (env DATABASE_URL); empty starts a private PostgreSQL in --data-dir")
	flags.StringVar(&cfg.EventStoreURL, "eventstore-url", os.Getenv("EVENTSTORE_URL"),
		"EventStoreDB/KurrentDB URL (env EVENTSTORE_URL); empty keeps events in PostgreSQL")
	flags.StringVar(&cfg.DataDir, "data-dir", os.Getenv("STOCKLEDGER_DATA_DIR"),
		"folder of the private PostgreSQL (env STOCKLEDGER_DATA_DIR)")

	root.AddCommand(
		serveCmd(&cfg),
		migrateCmd(&cfg),
		rebuildCmd(&cfg),
		replayCmd(&cfg),
		verifyCmd(&cfg),
		seedCmd(&cfg),
		userCmd(&cfg),
		benchCmd(&cfg),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), cfg.Version) },
		},
	)
	return root
}

func serveCmd(cfg *server.Config) *cobra.Command {
	listen := envOr("LISTEN_ADDR", ":8000")
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API and the projections",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			app, err := server.Open(ctx, *cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			if err := ensureAdminFromEnv(ctx, app.Users, os.Getenv, cfg.Logger); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			err = app.Serve(ctx, ln)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	cmd.Flags().StringVar(&listen, "listen", listen, "HTTP listen address (env LISTEN_ADDR)")
	return cmd
}

func migrateCmd(cfg *server.Config) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema, then exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Opening migrates everything the configuration uses.
			app, err := server.Open(cmd.Context(), *cfg)
			if err != nil {
				return err
			}
			return app.Close()
		},
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
