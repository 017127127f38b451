// Package api serves InvenTree's REST API (API version 530) over Stockledger's ledger.
//
// It parses, authorises, calls and renders; it holds no SQL and no business rules. A
// request is read into typed values (body.go, query.go), checked against the user's
// roles (auth.go), handed to one command or one read-model query, and answered in
// Django REST Framework's shapes (render.go, errors.go, list.go, metadata.go), because
// InvenTree's clients depend on those shapes byte for byte.
//
// Adding an area (stock, part, orders, ...) takes three steps. First, put its
// dependencies in Config, in the area section, each with a comment saying required or
// optional, and check them in Validate. Second, write its endpoints in a file of its
// own as methods of *server returning error (handlerFunc), registered by one method:
//
//	func (s *server) stockRoutes(r chi.Router) {
//		s.handle(r, "/stock/", endpoint{Role: user.RoleStock, Get: s.listStock, Post: s.createStock, Meta: stockListMeta()})
//		s.handle(r, "/stock/{id:[0-9]+}/", endpoint{Role: user.RoleStock, Get: s.getStock, Patch: s.patchStock, Meta: stockDetailMeta()})
//	}
//
// Third, add one line calling it in routes.
//
// A read handler reads its filters (newQuery) and its page, order and search
// (s.listQuery), calls one read-model query and answers with writeList or writeJSON. A
// write handler reads the body (s.decodeBody), returns b.err() if any field is bad,
// runs one command (commands.Execute or ExecuteTx), waits for the read models
// (s.awaitProjections) and answers with the read model's representation, 201 on
// create. Handlers return errors as they come (rule errors, not-found errors, wrapped
// infrastructure errors): s.fail is the one place that turns them into responses.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/eventstore"
)

// InvenTree's identity as this API presents it. Clients check apiVersion to decide which
// endpoints exist, so these describe the API Stockledger implements, not Stockledger.
const (
	apiVersion       = 530
	inventreeVersion = "1.5.0"
)

// Config holds the API's dependencies.
type Config struct {
	// Auth authenticates requests. Required.
	Auth Authenticator
	// Logger receives one record per failed request (5xx) and per panic. Optional:
	// default discards.
	Logger *slog.Logger
	// Version is Stockledger's version, reported at /api/ beside InvenTree's. Required.
	Version string
	// InstanceName is this server's name (InvenTree's INVENTREE_INSTANCE). Optional:
	// default "Stockledger".
	InstanceName string
	// InstanceID identifies this installation at /api/ ("id"). Optional: null.
	InstanceID string
	// TrustProxyHeaders makes absolute URLs (pagination links, 404 bodies) use
	// X-Forwarded-Proto and X-Forwarded-Host. Optional: set it only behind a proxy that
	// overwrites those headers.
	TrustProxyHeaders bool
	// MaxBodyBytes bounds a request body. Optional: default 10 MiB.
	MaxBodyBytes int64

	// Projections lets a write return only once the read models that serve its response
	// have applied it (read-your-writes). Required by areas that write; *projections.Runner
	// implements it.
	Projections ProjectionWaiter
	// ProjectionWait bounds that wait; past it the client gets 503. Optional: default 5s.
	ProjectionWait time.Duration

	// Executor runs commands. Required by areas that write.
	Executor *commands.Executor

	// Areas: each area's read-model queries and other dependencies go below, as
	// interfaces the area declares beside its handlers, e.g.
	//
	//	// Stock answers the stock read-model queries. Required.
	//	Stock StockQueries

	// Users answers the users read model (users, groups, rule sets, tokens), and
	// UserCommands runs the user, group and token commands. Optional, but both or
	// neither: without them the user area (/api/user/...) is not served.
	Users        UserQueries
	UserCommands UserCommands
	// Now is the clock that tells whether a token is still active. Optional: time.Now.
	Now func() time.Time

	// Parts answers the parts read model (NewPartQueries), PartCommands runs the part
	// and category commands, and LogHead tells where the log ends (eventstore.Store),
	// so that a category delete reads its contents after the writes before it (see
	// LogHead). Optional, but all three or none: without them the part area
	// (/api/part/...) is not served.
	Parts        PartQueries
	PartCommands PartCommands
	LogHead      LogHead
	// StockLocations tells whether a stock location exists, for the default_location
	// of parts and categories. Optional: without it, those are taken unchecked.
	StockLocations StockLocations

	// Stock answers the stock read models (projections/stock.ReadModel), and
	// StockCommands runs the stock commands (commands.StockHandlers). Optional, but both
	// or neither: without them the stock area (/api/stock/...) is not served. A location
	// delete reads what the location holds after LogHead, when that is set.
	Stock         StockQueries
	StockCommands StockCommands

	// Audit answers the audit log (projections/audit.ReadModel). Optional: without it
	// /api/audit/ is not served.
	Audit AuditQueries
	// Levels answers the stock levels through time (projections/levels.ReadModel).
	// Optional: without it /api/report/stock-level/ and stock-history/ are not served.
	Levels LevelQueries
	// History answers as_of on stock items and parts (history.Service). Optional:
	// without it as_of is refused with 400.
	History HistoryQueries
	// Movements answers the monthly movement summary (/api/report/monthly-movements/).
	// Optional; it needs LogHead and Projections: a report waits for its read model to
	// reach the log's head.
	Movements MovementQueries

	// Companies answers the companies read model (projections/companies.ReadModel), and
	// CompanyCommands runs the company commands (commands.CompanyHandlers). Optional, but
	// both or neither: without them the company area (/api/company/...) is not served.
	Companies       CompanyQueries
	CompanyCommands CompanyCommands

	// Orders answers the purchase orders read model (projections/orders.ReadModel), and
	// OrderCommands runs the purchase order commands (commands.OrderHandlers). Optional,
	// but both or neither, and only with the company area: without them the purchase
	// order area (/api/order/po...) is not served.
	Orders        OrderQueries
	OrderCommands OrderCommands
}

// ProjectionWaiter waits until projections have applied the log up to pos.
type ProjectionWaiter interface {
	// WaitFor returns once the named projections (all when none are named) have
	// applied pos, or with ctx's error.
	WaitFor(ctx context.Context, pos eventstore.Position, names ...string) error
}

// Validate reports every missing or invalid setting at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Auth == nil {
		errs = append(errs, errors.New("no authenticator"))
	}
	if c.Version == "" {
		errs = append(errs, errors.New("no version"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("negative body size limit"))
	}
	if c.ProjectionWait < 0 {
		errs = append(errs, errors.New("negative projection wait"))
	}
	if (c.Users == nil) != (c.UserCommands == nil) {
		errs = append(errs, errors.New("user area: give both the user queries and the user commands, or neither"))
	}
	if n := countSet(c.Parts != nil, c.PartCommands != nil, c.LogHead != nil); n != 0 && n != 3 {
		errs = append(errs, errors.New("part area: give the part queries, the part commands and the log head, or none"))
	}
	if c.Movements != nil && (c.LogHead == nil || c.Projections == nil) {
		errs = append(errs, errors.New("report area: the monthly movements need LogHead and Projections"))
	}
	if (c.Stock == nil) != (c.StockCommands == nil) {
		errs = append(errs, errors.New("stock area: give both the stock queries and the stock commands, or neither"))
	}
	if (c.Companies == nil) != (c.CompanyCommands == nil) {
		errs = append(errs, errors.New("company area: give both the company queries and the company commands, or neither"))
	}
	if (c.Orders == nil) != (c.OrderCommands == nil) || (c.Orders != nil && c.Companies == nil) {
		errs = append(errs, errors.New("purchase order area: give both the order queries and the order commands, or neither, and the company area with them"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.InstanceName == "" {
		c.InstanceName = "Stockledger"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 10 << 20
	}
	if c.ProjectionWait == 0 {
		c.ProjectionWait = 5 * time.Second
	}
}

// server is the API's state: its configuration, nothing mutable.
type server struct {
	cfg Config
	log *slog.Logger
}

// New returns the API as a chi router to be mounted at /api
// (router.Mount("/api", handler)); its routes are relative to that prefix.
func New(cfg Config) (http.Handler, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	return s.router(s.routes), nil
}

func newServer(cfg Config) (*server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	cfg.setDefaults()
	return &server{cfg: cfg, log: cfg.Logger}, nil
}

// router builds the chi router: JSON 404 and 405, panic recovery, authentication,
// then the routes register adds.
func (s *server) router(register func(chi.Router)) http.Handler {
	r := chi.NewRouter()
	// Set before any route: chi hands them to sub-routers only when they exist first.
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)
	r.Use(s.recoverer, s.collapseSlashes, s.authenticate)
	register(r)
	return r
}

// routes registers every endpoint, one line per area.
func (s *server) routes(r chi.Router) {
	s.rootRoutes(r)   // GET /api/, /api/version/
	s.statusRoutes(r) // status code catalogue
	s.userRoutes(r)   // users, groups, rule sets, tokens, roles
	s.partRoutes(r)   // parts and part categories
	s.stockRoutes(r)  // stock locations, items, actions and tracking
	s.auditRoutes(r)  // the audit log
	s.reportRoutes(r) // reports: monthly movements
	s.levelRoutes(r)  // reports: stock levels at any instant

	s.companyRoutes(r)       // companies, addresses, contacts, supplier and manufacturer parts
	s.stockCustomerRoutes(r) // stock given to customers and taken back
	s.orderRoutes(r)         // purchase orders, their lines and extra lines
	s.orderActionRoutes(r)   // purchase order transitions and receipts
}

// awaitProjections returns once the read models named (all when none are) have applied
// what res appended, so that the response and the client's next GET see the write. Past
// ProjectionWait it returns an error wrapping ErrProjectionsBehind (503): the write
// stands, only its read is late.
func (s *server) awaitProjections(ctx context.Context, res commands.Result, names ...string) error {
	if res.Appended == 0 || res.Position == eventstore.Start {
		return nil
	}
	if s.cfg.Projections == nil {
		return errors.New("await projections: no projection waiter configured")
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ProjectionWait)
	defer cancel()
	err := s.cfg.Projections.WaitFor(wctx, res.Position, names...)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrProjectionsBehind, err)
	}
	if err != nil {
		return fmt.Errorf("await projections: %w", err)
	}
	return nil
}
