// Package server wires Stockledger together: the database (a private PostgreSQL when no
// URL is given), the event store, the projection runner and the HTTP handler. It lives
// outside package main so that end-to-end tests start exactly what `stockledger serve`
// starts, on a port of their own.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stockledger/stockledger/api"
	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/eventstore/esdb"
	"github.com/stockledger/stockledger/eventstore/postgres"
	"github.com/stockledger/stockledger/history"
	"github.com/stockledger/stockledger/internal/auth"
	"github.com/stockledger/stockledger/internal/localpg"
	"github.com/stockledger/stockledger/internal/sequence"
	"github.com/stockledger/stockledger/projections"
	"github.com/stockledger/stockledger/projections/audit"
	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/levels"
	"github.com/stockledger/stockledger/projections/monthly"
	"github.com/stockledger/stockledger/projections/orders"
	"github.com/stockledger/stockledger/projections/parts"
	stockrm "github.com/stockledger/stockledger/projections/stock"
	"github.com/stockledger/stockledger/projections/users"
)

// Config says where Stockledger keeps its data and where it listens.
type Config struct {
	// DatabaseURL is the PostgreSQL holding the read models (and the events, unless
	// EventStoreURL is set). Empty: a private PostgreSQL is started in DataDir.
	DatabaseURL string
	// EventStoreURL, if set, keeps the events in EventStoreDB/KurrentDB instead.
	EventStoreURL string
	// DataDir holds the private PostgreSQL. Default: localpg.DefaultDir().
	DataDir string
	// ListenAddr is the HTTP address, e.g. ":8000"; ":0" picks a free port.
	ListenAddr string
	// Version is reported by the API and the metrics.
	Version string
	// Logger; default: discard.
	Logger *slog.Logger
}

// App is a wired Stockledger: everything `serve` runs, and what the CLI's other
// commands reuse.
type App struct {
	cfg    Config
	logger *slog.Logger

	local  *localpg.Server // nil when DatabaseURL was given
	Pool   *pgxpool.Pool
	Store  eventstore.Store
	closer func() error // closes Store
	Runner *projections.Runner

	// Executor runs every command; Users holds the user, group and token commands.
	Executor *commands.Executor
	Users    *commands.UserHandlers
	// Parts and Stock hold the part and stock commands; Keys allocates primary keys.
	Parts *commands.PartHandlers
	Stock *commands.StockHandlers
	Keys  *sequence.Sequences
	// Codec reads every event type; History replays streams to a moment.
	Codec   *domain.Codec
	History *history.Service

	Registry *prometheus.Registry
	api      http.Handler
}

// Open connects (starting the private PostgreSQL if need be), migrates the schema and
// builds the store and the projection runner. Close releases it all.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, logger: cfg.Logger}
	if err := a.open(ctx); err != nil {
		return nil, errors.Join(err, a.Close())
	}
	return a, nil
}

func (a *App) open(ctx context.Context) (err error) {
	cfg := a.cfg

	url := cfg.DatabaseURL
	if url == "" {
		dir := cfg.DataDir
		if dir == "" {
			dir = localpg.DefaultDir()
		}
		a.logger.Info("no DATABASE_URL: starting a private PostgreSQL", "dir", dir)
		if a.local, err = localpg.Start(ctx, localpg.Config{Dir: dir, Logger: a.logger}); err != nil {
			return fmt.Errorf("start private PostgreSQL: %w", err)
		}
		url = a.local.URL()
	}
	if a.Pool, err = newPool(ctx, url); err != nil {
		return err
	}
	for _, set := range []func(context.Context, *pgxpool.Pool, *slog.Logger) error{
		projections.Migrate, auth.Migrate, users.Migrate, parts.Migrate, stockrm.Migrate, monthly.Migrate,
		audit.Migrate, levels.Migrate, companies.Migrate, orders.Migrate,
	} {
		if err := set(ctx, a.Pool, a.logger); err != nil {
			return err
		}
	}

	if cfg.EventStoreURL != "" {
		s, err := esdb.New(ctx, esdb.Config{URL: cfg.EventStoreURL, Logger: a.logger})
		if err != nil {
			return fmt.Errorf("connect EventStoreDB: %w", err)
		}
		a.Store, a.closer = s, s.Close
	} else {
		if err := postgres.Migrate(ctx, a.Pool, a.logger); err != nil {
			return err
		}
		// The store gets connections of its own (see postgres.ConfigurePool), as many
		// as the read models'.
		s, err := postgres.Open(ctx, url, poolConns(url), postgres.Config{Logger: a.logger})
		if err != nil {
			return err
		}
		a.Store, a.closer = s, s.Close
	}

	codec, err := domain.NewCodec(user.Events(), part.Events(), stock.Events(), company.Events(), order.Events())
	if err != nil {
		return err
	}
	a.Codec = codec
	projectors, err := projectors(codec)
	if err != nil {
		return err
	}
	if a.Runner, err = projections.NewRunner(projections.RunnerConfig{
		Log:        a.Store,
		Pool:       a.Pool,
		Projectors: projectors,
		Logger:     a.logger,
	}); err != nil {
		return err
	}

	a.Keys = sequence.New(a.Pool)
	if a.Executor, err = commands.New(commands.Config{Store: a.Store, Codec: codec, Keys: a.Keys}); err != nil {
		return err
	}
	if a.Users, err = commands.NewUserHandlers(commands.UserHandlersConfig{
		Executor: a.Executor, Credentials: auth.NewCredentials(a.Pool), Logger: a.logger,
	}); err != nil {
		return err
	}
	authenticator, err := auth.New(auth.Config{Pool: a.Pool, Logger: a.logger})
	if err != nil {
		return err
	}
	partCommands, err := commands.NewPartHandlers(a.Executor, time.Now)
	if err != nil {
		return err
	}
	companyReadModel := companies.NewReadModel(a.Pool)
	orderReadModel := orders.NewReadModel(a.Pool, companyReadModel)
	// Stock items show the references of their purchase orders and their supplier parts.
	stockReadModel, err := stockrm.NewReadModel(a.Pool, stockrm.ReadModelConfig{Parts: stockPartsJoin(), Sources: orderReadModel})
	if err != nil {
		return err
	}
	companyCommands, err := commands.NewCompanyHandlers(a.Executor, companyReadModel, time.Now)
	if err != nil {
		return err
	}
	auditReadModel, err := audit.NewReadModel(a.Pool)
	if err != nil {
		return err
	}
	levelsReadModel, err := levels.NewReadModel(a.Pool)
	if err != nil {
		return err
	}
	if a.History, err = history.NewService(history.Config{
		Log: a.Store, Codec: codec, Stock: stockReadModel, Parts: a.Pool, Figures: levelsReadModel,
	}); err != nil {
		return err
	}
	// No bill of materials is modelled yet, so installations are not checked against one.
	stockCommands, err := commands.NewStockHandlers(commands.StockConfig{
		Executor: a.Executor, Parts: commands.StockPartFacts(partCommands), Lookup: stockReadModel, Now: time.Now,
		Customers: commands.StockCustomerFacts(companyCommands),
	})
	if err != nil {
		return err
	}
	orderCommands, err := commands.NewOrderHandlers(commands.OrderConfig{
		Executor: a.Executor, Lookup: orderReadModel, Stock: stockCommands, Now: time.Now,
	})
	if err != nil {
		return err
	}
	a.Parts, a.Stock = partCommands, stockCommands
	if a.api, err = api.New(api.Config{
		Auth:         authenticator,
		Logger:       a.logger,
		Version:      cfg.Version,
		Projections:  a.Runner,
		Executor:     a.Executor,
		Users:        users.NewQueries(a.Pool),
		UserCommands: a.Users,
		Parts:        api.NewPartQueries(a.Pool),
		PartCommands: partCommands,
		LogHead:      a.Store,
		// Stock locations answer the parts' default_location checks too.
		StockLocations: stockReadModel,
		Stock:          stockReadModel,
		StockCommands:  stockCommands,
		Movements:      monthly.NewQueries(a.Pool),
		Audit:          auditReadModel,
		Levels:         levelsReadModel,
		History:        a.History,

		Companies:       companyReadModel,
		CompanyCommands: companyCommands,
		Orders:          orderReadModel,
		OrderCommands:   orderCommands,
	}); err != nil {
		return err
	}

	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		projections.NewCollector(a.Runner),
	)
	return nil
}

// projectors lists every read model the server keeps; codec reads every event type.
func projectors(codec *domain.Codec) ([]projections.Projector, error) {
	partsProjector, err := parts.NewProjector()
	if err != nil {
		return nil, err
	}
	monthlyProjector, err := monthly.NewProjector()
	if err != nil {
		return nil, err
	}
	auditProjector, err := audit.NewProjector(codec)
	if err != nil {
		return nil, err
	}
	companiesProjector, err := companies.NewProjector()
	if err != nil {
		return nil, err
	}
	ordersProjector, err := orders.NewProjector()
	if err != nil {
		return nil, err
	}
	return []projections.Projector{users.NewProjector(), partsProjector, stockrm.NewProjector(), monthlyProjector,
		auditProjector, levels.NewProjector(), companiesProjector, ordersProjector}, nil
}

// stockPartsJoin tells the stock read model where the parts read model keeps parts, so
// that stock items show part_detail (InvenTree's PartBriefSerializer) and are searched
// and ordered by part name and IPN. Lists copy each part's stored brief; Detail renders
// one for a part the parts read model does not hold (yet).
func stockPartsJoin() *stockrm.PartsJoin {
	return &stockrm.PartsJoin{
		Table: "parts", PK: "pk", Name: "name", IPN: "ipn", Description: "description", VariantOf: "variant_of",
		Detail: parts.BriefSQL, Brief: parts.BriefColumn,
	}
}

// poolConns is the size of a pool on url: pgxpool's default (the number of CPUs, at
// least 4) starves the API when every projector is applying a batch. 0 when the URL's
// pool_max_conns says.
func poolConns(url string) int32 {
	if strings.Contains(url, "pool_max_conns") {
		return 0
	}
	return 16
}

func newPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if n := poolConns(url); n > 0 {
		cfg.MaxConns = n
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect database: %w", err)
	}
	return pool, nil
}

// Close stops the store, the pool and the private PostgreSQL, in that order.
func (a *App) Close() error {
	var errs []error
	if a.closer != nil {
		errs = append(errs, a.closer())
	}
	if a.Pool != nil {
		a.Pool.Close()
	}
	if a.local != nil {
		errs = append(errs, a.local.Stop())
	}
	return errors.Join(errs...)
}

// Handler is the HTTP interface: health, metrics, and the API.
func (a *App) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer)
	r.Get("/healthz", a.health)
	r.Handle("/metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	r.Mount("/api", a.api)
	return r
}

// health answers 200 when the database answers and reports each projection's position;
// 503 when the database does not.
func (a *App) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	type projection struct {
		Name     string `json:"name"`
		Position string `json:"position"`
		Events   int64  `json:"events"`
	}
	body := struct {
		Status      string       `json:"status"`
		Version     string       `json:"version"`
		Error       string       `json:"error,omitempty"`
		Head        string       `json:"head,omitempty"`
		Projections []projection `json:"projections"`
	}{Status: "ok", Version: a.cfg.Version, Projections: []projection{}}
	status := http.StatusOK
	head, err := a.Store.Head(ctx)
	if err == nil {
		body.Head = head.String()
		var statuses []projections.Status
		if statuses, err = a.Runner.Statuses(ctx); err == nil {
			for _, s := range statuses {
				body.Projections = append(body.Projections, projection{s.Name, s.Position.String(), s.Events})
			}
		}
	}
	if err != nil {
		status, body.Status, body.Error = http.StatusServiceUnavailable, "unavailable", err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Serve runs the projection runner and the HTTP server on ln until ctx is done, then
// shuts the HTTP server down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runnerDone := make(chan error, 1)
	go func() { runnerDone <- a.Runner.Run(ctx) }()

	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	a.logger.Info("listening", "addr", ln.Addr().String())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveDone:
		err = fmt.Errorf("http: %w", err)
	}
	cancel()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if shutdownErr := srv.Shutdown(shutdownCtx); shutdownErr != nil && err == nil {
		err = fmt.Errorf("http shutdown: %w", shutdownErr)
	}
	<-runnerDone
	return err
}
