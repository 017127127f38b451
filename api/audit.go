package api

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/audit"
)

// The audit area: /api/audit/ lists the ledger's events, each with who caused it,
// when, what it says (its type and data, in the event's current shape) and the
// request it came from. InvenTree has no such endpoint; it follows InvenTree's list
// conventions (a bare array without limit, DRF's page with it, ordering).
//
// Reading an event needs the view permission of the role that guards its aggregate
// kind (auditKindRoles): a user sees the kinds it may view, a superuser every kind,
// and a user who may view none is refused. Naming a kind or a stream the user may not
// view is refused too, rather than answered with an empty list. The log is read-only:
// every other method is 405, for everyone.

// AuditQueries answers the audit log (projections/audit.ReadModel).
type AuditQueries interface {
	List(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error)
	Get(ctx context.Context, pk int64) (audit.Entry, error)
}

var _ AuditQueries = (*audit.ReadModel)(nil)

// auditKindRoles is the role whose view permission reads each aggregate kind (stream
// category). A kind missing here is read by superusers only; an area that adds a kind
// adds its line.
var auditKindRoles = map[string]user.Role{
	commands.StockItemCategory:          user.RoleStock,
	stock.SerialCategory:                user.RoleStock,
	commands.StockLocationCategory:      user.RoleStockLocation,
	stock.LocationNameCategory:          user.RoleStockLocation,
	commands.PartStreamCategory:         user.RolePart,
	commands.PartUniqueStreamCategory:   user.RolePart,
	commands.PartCategoryStreamCategory: user.RolePartCategory,
	commands.CompanyCategory:            user.RolePurchaseOrder,
	commands.CompanyNameKeys:            user.RolePurchaseOrder,
	commands.SupplierPartCategory:       user.RolePurchaseOrder,
	commands.SupplierPartKeys:           user.RolePurchaseOrder,
	commands.ManufacturerPartCategory:   user.RolePurchaseOrder,
	commands.ManufacturerPartKeys:       user.RolePurchaseOrder,
	commands.PurchaseOrderCategory:      user.RolePurchaseOrder,
	commands.OrderReferenceKeys:         user.RolePurchaseOrder,
	user.CategoryUser:                   user.RoleAdmin,
	user.CategoryGroup:                  user.RoleAdmin,
	user.CategoryToken:                  user.RoleAdmin,
	user.CategoryUsername:               user.RoleAdmin,
	user.CategoryGroupName:              user.RoleAdmin,
}

// auditKinds are the kinds a user may read; nil means every kind (a superuser).
func auditKinds(a user.Access) []string {
	if a.Active && a.Superuser {
		return nil
	}
	kinds := []string{}
	for kind, role := range auditKindRoles {
		if a.Can(role, user.PermView) {
			kinds = append(kinds, kind)
		}
	}
	sort.Strings(kinds)
	return kinds
}

// mayReadKind reports whether a user may read events of kind.
func mayReadKind(a user.Access, kind string) bool {
	kinds := auditKinds(a)
	return kinds == nil || slices.Contains(kinds, kind)
}

func (s *server) auditRoutes(r chi.Router) {
	if s.cfg.Audit == nil {
		return
	}
	r = r.With(s.requireAuditReader)
	s.handle(r, "/audit/", endpoint{Get: s.listAudit, Meta: meta{
		Name:        "Audit Log List",
		Description: "API endpoint for the ledger's audit log: every event, with who, when, what and the request it came from.\n\nThe log is read-only.",
		Model:       "auditentry",
	}})
	s.handle(r, "/audit/{id:[0-9]+}/", endpoint{Get: s.getAudit, Meta: meta{
		Name:        "Audit Log Detail",
		Description: "API endpoint for one event of the ledger's audit log.",
		Model:       "auditentry",
	}})
}

// requireAuditReader admits users who may read at least one aggregate kind: 401 when
// anonymous, 403 for the others, whatever the method.
func (s *server) requireAuditReader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := AccessFrom(r.Context())
		if !ok {
			s.fail(w, r, errNotAuthenticated)
			return
		}
		if kinds := auditKinds(a); kinds != nil && len(kinds) == 0 {
			s.fail(w, r, errPermissionDenied)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) listAudit(w http.ResponseWriter, r *http.Request) error {
	a, _ := AccessFrom(r.Context())
	q := newQuery(r)
	var f audit.Filter
	f.Kinds = auditKinds(a)
	if kind, ok := q.str("kind"); ok {
		if !mayReadKind(a, kind) {
			return errPermissionDenied
		}
		f.Kinds = []string{kind}
	}
	if stream, ok := q.str("stream"); ok {
		kind, _, _ := strings.Cut(stream, "-")
		if !mayReadKind(a, kind) {
			return errPermissionDenied
		}
		f.Stream = stream
	}
	f.EventType, _ = q.str("event_type")
	f.CorrelationID, _ = q.str("correlation_id")
	f.RequestID, _ = q.str("request_id")
	if pk, ok := q.pk("user"); ok {
		// Not checked against the users: the log keeps the events of deleted users.
		f.User = &pk
	}
	f.MinDate = q.optDateTime("min_date")
	f.MaxDate = q.optDateTime("max_date")
	if v, ok := q.str("max_date"); ok && f.MaxDate != nil && !strings.ContainsAny(v, "T ") {
		end := f.MaxDate.AddDate(0, 0, 1).Add(-1) // a date alone: the whole day
		f.MaxDate = &end
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	f.Ordering = lastValue(r.URL.Query(), "ordering")
	f.Limit, f.Offset = lq.Limit, lq.Offset
	if err := s.awaitAudit(r.Context()); err != nil {
		return err
	}
	rows, total, err := s.cfg.Audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) getAudit(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if err := s.awaitAudit(r.Context()); err != nil {
		return err
	}
	e, err := s.cfg.Audit.Get(r.Context(), pk)
	if err != nil {
		return err
	}
	if a, _ := AccessFrom(r.Context()); !mayReadKind(a, e.Kind) {
		return errPermissionDenied
	}
	return writeJSON(w, http.StatusOK, e)
}

// awaitAudit brings the audit log up to the log's head when the head is known
// (Config.LogHead), so that the log shows what the client wrote before asking: the
// writes themselves wait only for the read models they answer from.
func (s *server) awaitAudit(ctx context.Context) error {
	if s.cfg.LogHead == nil {
		return nil
	}
	return s.awaitLogHead(ctx, audit.ProjectorName)
}
