package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/domain/user"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// The stock area: stock locations, stock items, the stock actions and the stock
// tracking history, as InvenTree's stock/api.py serves them (API 530). Locations need
// the stock_location role, everything else the stock role, each permission chosen by
// the method (see endpoint): the actions are POSTs and need stock.add. The actions on
// one item (serialize, install, uninstall) also need stock.change for every other
// method, as InvenTree's StockItemContextMixin sets role_required = 'stock.change';
// for POST that changes nothing, since a rule set with add always has change.
//
// Every write waits for the stock projection and answers from the read model. The
// part figures of /api/part/ are read from the same tables, so a client that adds
// stock and then reads the part sees the new figures.
//
// Where InvenTree answers 201 to an action that does nothing (uninstalling an item that
// is not installed, serializing a serialized item), Stockledger answers 400 with the
// reason and appends nothing; see commands.StockHandlers.
//
// Not served (yet): location types, bulk updates and bulk deletes on the list URLs,
// test results, convert, disassemble, serial-numbers and tests on items, the supplier,
// manufacturer and manufacturer_part filters and SKU / MPN search and ordering of
// items, and the "*_detail" objects InvenTree adds inside tracking deltas.

// StockQueries answers the stock read models (projections/stock.ReadModel).
type StockQueries interface {
	GetLocation(ctx context.Context, pk int64, pathDetail bool) (stockrm.Location, error)
	ListLocations(ctx context.Context, f stockrm.LocationFilter) ([]stockrm.Location, int, error)
	LocationTree(ctx context.Context, f stockrm.TreeFilter) ([]stockrm.TreeNode, int, error)
	GetItem(ctx context.Context, pk int64, f stockrm.ItemFilter) (stockrm.Item, error)
	ListItems(ctx context.Context, f stockrm.ItemFilter) ([]stockrm.Item, int, error)
	GetTracking(ctx context.Context, pk int64) (stockrm.TrackingEntry, error)
	ListTracking(ctx context.Context, f stockrm.TrackingFilter) ([]stockrm.TrackingEntry, int, error)
	// PartVariants is a part with the parts below it in its variant tree, nil when
	// there is no such part.
	PartVariants(ctx context.Context, part int64) ([]int64, error)
}

var _ StockQueries = (*stockrm.ReadModel)(nil)

// StockCommands runs the stock commands (commands.StockHandlers).
type StockCommands interface {
	CreateLocation(ctx context.Context, cmd commands.CreateStockLocation) (int64, commands.Result, error)
	UpdateLocation(ctx context.Context, cmd commands.UpdateStockLocation) (commands.Result, error)
	DeleteLocation(ctx context.Context, cmd commands.DeleteStockLocation) (commands.Result, error)
	CreateItems(ctx context.Context, cmd commands.CreateStockItem) ([]int64, commands.Result, error)
	UpdateItem(ctx context.Context, cmd commands.UpdateStockItem) (commands.Result, error)
	DeleteItem(ctx context.Context, cmd commands.DeleteStockItem) (commands.Result, error)
	Add(ctx context.Context, cmd commands.AddStock) (commands.Result, error)
	Remove(ctx context.Context, cmd commands.RemoveStock) (commands.Result, error)
	Count(ctx context.Context, cmd commands.CountStock) (commands.Result, error)
	Transfer(ctx context.Context, cmd commands.TransferStock) (commands.Result, error)
	Merge(ctx context.Context, cmd commands.MergeStock) (commands.Result, error)
	ChangeStatus(ctx context.Context, cmd commands.ChangeStockStatus) (commands.Result, error)
	Serialize(ctx context.Context, cmd commands.SerializeStock) ([]int64, commands.Result, error)
	Install(ctx context.Context, cmd commands.InstallStockItem) (commands.Result, error)
	Uninstall(ctx context.Context, cmd commands.UninstallStockItem) (commands.Result, error)
}

var _ StockCommands = (*commands.StockHandlers)(nil)

// stockRoutes registers the stock area. Without its dependencies (the API's own unit
// tests) it is not served.
func (s *server) stockRoutes(r chi.Router) {
	if s.cfg.Stock == nil || s.cfg.StockCommands == nil {
		return
	}
	loc, item := user.RoleStockLocation, user.RoleStock
	s.handle(r, "/stock/location/tree/", endpoint{Role: loc, Get: s.locationTree, Meta: meta{
		Name:        "Stock Location Tree",
		Description: "API endpoint for accessing a list of StockLocation objects, ready for rendering as a tree.",
		Model:       "stocklocation",
	}})
	s.handle(r, "/stock/location/", endpoint{Role: loc, Get: s.listLocations, Post: s.createLocation, Meta: meta{
		Name:        "Stock Location List",
		Description: "API endpoint for list view of StockLocation objects.\n\n- GET: Return list of StockLocation objects\n- POST: Create a new StockLocation",
		Model:       "stocklocation",
		Fields:      locationFields(),
	}})
	s.handle(r, "/stock/location/{id:[0-9]+}/", endpoint{Role: loc, Get: s.getLocation,
		Put: s.updateLocation, Patch: s.updateLocation, Delete: s.deleteLocation, Meta: meta{
			Name:        "Stock Location Detail",
			Description: "API endpoint for detail view of StockLocation object.",
			Model:       "stocklocation",
			Fields:      locationFields(),
		}})

	s.handle(r, "/stock/", endpoint{Role: item, Get: s.listItems, Post: s.createItems, Meta: meta{
		Name:        "Stock List",
		Description: "API endpoint for list view of Stock objects.\n\n- GET: Return a list of all StockItem objects (with optional query filters)\n- POST: Create a new StockItem\n- DELETE: Delete multiple StockItem objects",
		Model:       "stockitem",
		Fields:      stockItemFields(),
	}})
	s.handle(r, "/stock/{id:[0-9]+}/", endpoint{Role: item, Get: s.getItem,
		Put: s.updateItem, Patch: s.updateItem, Delete: s.deleteItem, Meta: meta{
			Name:        "Stock Detail",
			Description: "API detail endpoint for a single StockItem instance.",
			Model:       "stockitem",
			Fields:      stockItemFields(),
		}})

	for _, a := range []struct {
		path, name, description string
		handler                 handlerFunc
		fields                  []fieldMeta
	}{
		{"/stock/add/", "Stock Add", "Endpoint for adding a quantity of stock to an existing StockItem.", s.addStock, adjustFields(adjustPlain)},
		{"/stock/remove/", "Stock Remove", "Endpoint for removing a quantity of stock from an existing StockItem.", s.removeStock, adjustFields(adjustPlain)},
		{"/stock/count/", "Stock Count", "Endpoint for counting stock (performing a stocktake).", s.countStock, adjustFields(adjustCount)},
		{"/stock/transfer/", "Stock Transfer", "API endpoint for performing stock movements.", s.transferStock, adjustFields(adjustTransfer)},
		{"/stock/merge/", "Stock Merge", "API endpoint for merging multiple stock items.", s.mergeStock, mergeFields()},
		{"/stock/change_status/", "Stock Change Status", "API endpoint to change the status code of multiple StockItem objects.", s.changeStockStatus, changeStatusFields()},
	} {
		s.handle(r, a.path, endpoint{Role: item, Post: a.handler, Meta: meta{Name: a.name, Description: a.description, Fields: a.fields}})
	}
	change := map[string]user.Perm{
		http.MethodGet: user.PermChange, http.MethodHead: user.PermChange, http.MethodOptions: user.PermChange,
		http.MethodPut: user.PermChange, http.MethodPatch: user.PermChange, http.MethodDelete: user.PermChange,
	}
	s.handle(r, "/stock/{id:[0-9]+}/serialize/", endpoint{Role: item, Perms: change, Post: s.serializeItem, Meta: meta{
		Name: "Stock Item Serialize", Description: "API endpoint for serializing a stock item.", Fields: serializeFields(),
	}})
	s.handle(r, "/stock/{id:[0-9]+}/install/", endpoint{Role: item, Perms: change, Post: s.installItem, Meta: meta{
		Name:        "Stock Item Install",
		Description: "API endpoint for installing a particular stock item into this stock item.\n\n- stock_item.part must be in the BOM for this part\n- stock_item must currently be \"in stock\"\n- stock_item must be serialized (and not belong to another item)",
		Fields:      installFields(),
	}})
	s.handle(r, "/stock/{id:[0-9]+}/uninstall/", endpoint{Role: item, Perms: change, Post: s.uninstallItem, Meta: meta{
		Name: "Stock Item Uninstall", Description: "API endpoint for removing (uninstalling) items from this item.", Fields: uninstallFields(),
	}})

	s.handle(r, "/stock/track/", endpoint{Role: item, Get: s.listTracking, Meta: meta{
		Name:        "Stock Tracking List",
		Description: "API endpoint for list view of StockItemTracking objects.\n\nStockItemTracking objects are read-only\n(they are created by internal model functionality)\n\n- GET: Return list of StockItemTracking objects",
		Model:       "stockitemtracking",
	}})
	s.handle(r, "/stock/track/{id:[0-9]+}/", endpoint{Role: item, Get: s.getTracking, Meta: meta{
		Name:        "Stock Tracking Detail",
		Description: "Detail API endpoint for StockItemTracking model.",
		Model:       "stockitemtracking",
	}})
}

// awaitStock waits until the stock read models have applied res.
func (s *server) awaitStock(ctx context.Context, res commands.Result) error {
	return s.awaitProjections(ctx, res, stockrm.ProjectorName)
}

// ---- locations ----

func (s *server) listLocations(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f stockrm.LocationFilter
	// InvenTree's clients ask for top-level locations with parent=null.
	if pk, ok := q.nullablePK("parent"); ok && pk == 0 {
		f.ParentNull = true
	} else if ok {
		f.Parent = &pk
	}
	f.Cascade = optQueryBool(q, "cascade")
	f.TopLevel = optQueryBool(q, "top_level")
	f.Structural = optQueryBool(q, "structural")
	f.External = optQueryBool(q, "external")
	f.HasLocationType = optQueryBool(q, "has_location_type")
	if v, ok := q.integer("depth"); ok {
		d := int(v)
		f.Depth = &d
	}
	if v, ok := q.str("name"); ok {
		f.Name = &v
	}
	// Location types are not modelled: every location_type names none.
	if _, ok := q.str("location_type"); ok {
		q.errs.Add("location_type", msgInvalidChoice)
	}
	if f.Parent != nil {
		if err := s.locationChoice(ctx, q, "parent", *f.Parent); err != nil {
			return err
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	v := r.URL.Query()
	f.Search, f.Ordering = searchParam(v), lastValue(v, "ordering")
	f.PathDetail = str2bool(lastValue(v, "path_detail"))
	f.Limit, f.Offset = lq.Limit, lq.Offset
	rows, total, err := s.cfg.Stock.ListLocations(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// optQueryBool reads an optional boolean filter.
func optQueryBool(q *query, name string) *bool {
	if v, ok := q.boolean(name); ok {
		return &v
	}
	return nil
}

// locationChoice records django-filter's invalid-choice error on the filter name when
// pk names no location.
func (s *server) locationChoice(ctx context.Context, q *query, name string, pk int64) error {
	_, err := s.cfg.Stock.GetLocation(ctx, pk, false)
	if errors.Is(err, domain.ErrNotFound) {
		q.errs.Add(name, msgInvalidChoice)
		return nil
	}
	return err
}

func (s *server) locationTree(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	var f stockrm.TreeFilter
	if pk, ok := q.pk("parent"); ok {
		f.Parent = &pk
	}
	if v, ok := q.integer("tree_id"); ok {
		f.TreeID = &v
	}
	if v, ok := q.integer("level"); ok {
		n := int(v)
		f.Level = &n
	}
	if v, ok := q.integer("max_level"); ok {
		n := int(v)
		f.MaxLevel = &n
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	v := r.URL.Query()
	f.Search = searchParam(v)
	f.Ordering = treeOrdering(lastValue(v, "ordering"))
	f.Limit, f.Offset = lq.Limit, lq.Offset
	rows, total, err := s.cfg.Stock.LocationTree(r.Context(), f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// treeOrdering keeps the ordering terms StockLocationTree allows, and falls back to its
// default (level, then name) when none is left, as DRF's OrderingFilter does.
func treeOrdering(param string) string {
	var kept []string
	for _, term := range strings.Split(param, ",") {
		term = strings.TrimSpace(term)
		switch strings.TrimPrefix(term, "-") {
		case "level", "name", "sublocations":
			kept = append(kept, term)
		}
	}
	if len(kept) == 0 {
		return "level"
	}
	return strings.Join(kept, ",")
}

func (s *server) getLocation(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	return s.writeLocation(w, r, http.StatusOK, pk)
}

// writeLocation answers the read model's location pk, with its path when asked.
func (s *server) writeLocation(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	l, err := s.cfg.Stock.GetLocation(r.Context(), pk, str2bool(lastValue(r.URL.Query(), "path_detail")))
	if err != nil {
		return err
	}
	return writeJSON(w, status, l)
}

// locationPatch is LocationSerializer's writable fields; absent fields stay nil.
type locationPatch struct {
	name, description, customIcon *string
	parent, owner, locationType   *int64
	structural, external          *bool
}

// readLocation reads LocationSerializer's writable fields (name max 100, description
// max 250, custom_icon max 100 and nullable, parent, owner, location_type, structural,
// external). tags are not modelled and are ignored, as the part area ignores them.
func readLocation(b *body) locationPatch {
	return locationPatch{
		name:         optStr(b, "name", required, maxLength(100)),
		description:  optStr(b, "description", allowBlank, maxLength(250)),
		customIcon:   optStr(b, "custom_icon", allowBlank, nullable, maxLength(100)),
		parent:       optPK(b, "parent"),
		owner:        optPK(b, "owner"),
		locationType: optPK(b, "location_type"),
		structural:   optBool(b, "structural"),
		external:     optBool(b, "external"),
	}
}

func (p locationPatch) edit() stock.LocationEdit {
	return stock.LocationEdit{
		Name: p.name, Description: p.description, Parent: p.parent, Structural: p.structural,
		External: p.external, Owner: p.owner, LocationType: p.locationType, CustomIcon: p.customIcon,
	}
}

// checkLocationRefs checks what the location commands cannot: the owner, in the users
// read model, and the location type, which no location type can satisfy yet.
func (s *server) checkLocationRefs(ctx context.Context, p locationPatch) error {
	if pk := p.locationType; pk != nil && *pk != 0 {
		return &domain.NotFoundError{Kind: "StockLocationType", ID: *pk, Field: "location_type"}
	}
	return s.checkStockOwner(ctx, "owner", p.owner)
}

// checkStockOwner answers an owner pk that names no owner as DRF does, on field.
// Owner pks encode a group (odd) or a user (even), see OwnerPK. Without the users read
// model, owners are taken unchecked.
func (s *server) checkStockOwner(ctx context.Context, field string, pk *int64) error {
	if pk == nil || *pk == 0 || s.cfg.Users == nil {
		return nil
	}
	var err error
	if *pk%2 == 1 {
		_, err = s.cfg.Users.Group(ctx, *pk/2)
	} else {
		_, err = s.cfg.Users.User(ctx, *pk/2)
	}
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.NotFoundError{Kind: "Owner", ID: *pk, Field: field}
	}
	return err
}

func (s *server) createLocation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	p := readLocation(b)
	if err := b.err(); err != nil {
		return err
	}
	if err := s.checkLocationRefs(ctx, p); err != nil {
		return err
	}
	e := p.edit()
	spec := stock.LocationSpec{
		Name: derefOrZero(e.Name), Description: derefOrZero(e.Description), Parent: derefOrZero(e.Parent),
		Structural: derefOrZero(e.Structural), External: derefOrZero(e.External), Owner: derefOrZero(e.Owner),
		LocationType: derefOrZero(e.LocationType), CustomIcon: derefOrZero(e.CustomIcon),
	}
	pk, res, err := s.cfg.StockCommands.CreateLocation(ctx, commands.CreateStockLocation{LocationSpec: spec})
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	return s.writeLocation(w, r, http.StatusCreated, pk)
}

func (s *server) updateLocation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	// DRF finds the object before it reads the body: an unknown location is 404
	// whatever the body says.
	if _, err := s.cfg.Stock.GetLocation(ctx, pk, false); err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	p := readLocation(b)
	if err := b.err(); err != nil {
		return err
	}
	if err := s.checkLocationRefs(ctx, p); err != nil {
		return err
	}
	res, err := s.cfg.StockCommands.UpdateLocation(ctx, commands.UpdateStockLocation{PK: pk, LocationEdit: p.edit()})
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	return s.writeLocation(w, r, http.StatusOK, pk)
}

// deleteLocation deletes a location with InvenTree's options, read from the body as
// StockLocationDetail.destroy reads them: str(value) == '1', so 1 and "1" count and
// true does not. What the location holds comes from the read model, brought up to the
// log's head first when the API knows it (see awaitLogHead).
func (s *server) deleteLocation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	opts := stock.DeleteOptions{
		DeleteStockItems:   b.pyStrIsOne("delete_stock_items"),
		DeleteSubLocations: b.pyStrIsOne("delete_sub_locations"),
	}
	if s.cfg.LogHead != nil {
		if err := s.awaitLogHead(ctx, stockrm.ProjectorName); err != nil {
			return err
		}
	}
	res, err := s.cfg.StockCommands.DeleteLocation(ctx, commands.DeleteStockLocation{PK: pk, DeleteOptions: opts})
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// pyStrIsOne is InvenTree's str(request.data.get(name, 0)) == '1'.
func (b *body) pyStrIsOne(name string) bool {
	raw, ok := b.raw[name]
	return ok && pyStr(raw, kindOf(raw)) == "1"
}
