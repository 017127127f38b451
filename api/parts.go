package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/projections/parts"
)

// The part area: part categories and parts, as InvenTree's part/api.py serves them
// (API 530). Categories need the part_category role, parts the part role, each
// permission chosen by the method (see endpoint).
//
// What InvenTree's part endpoints also do and this area does not (yet): stars (starred
// is always false, a starred=true filter finds nothing), tags, images, parameters,
// duplicate / initial_stock / initial_supplier on create, bulk updates on the list URLs,
// and the stock figures of a part (in_stock, total_in_stock, unallocated_stock, ...),
// which come from the stock read model joined into projections/parts (see partColumns
// there) and then need only their names in the OPTIONS fields below.

// PartQueries answers the parts read model (projections/parts; NewPartQueries adapts
// it).
type PartQueries interface {
	GetCategory(ctx context.Context, pk int64, pathDetail bool) (parts.Category, error)
	ListCategories(ctx context.Context, f parts.CategoryFilter) ([]parts.Category, int, error)
	CategoryTree(ctx context.Context, ordering string, page parts.Page) ([]parts.CategoryTreeNode, int, error)
	CategoryContents(ctx context.Context, pk int64) (parts.Contents, error)
	CountDirectParts(ctx context.Context, category int64) (int, error)
	GetPart(ctx context.Context, pk int64, d parts.PartDetail) (parts.Part, error)
	ListParts(ctx context.Context, f parts.PartFilter) ([]parts.Part, int, error)
}

// PartCommands runs the commands on parts and categories (commands.PartHandlers).
type PartCommands interface {
	CreatePartCategory(ctx context.Context, cmd commands.CreatePartCategory) (int64, commands.Result, error)
	UpdatePartCategory(ctx context.Context, cmd commands.UpdatePartCategory) (commands.Result, error)
	DeletePartCategory(ctx context.Context, cmd commands.DeletePartCategory) (commands.Result, error)
	CreatePart(ctx context.Context, cmd commands.CreatePart) (int64, commands.Result, error)
	UpdatePart(ctx context.Context, cmd commands.UpdatePart) (commands.Result, error)
	DeletePart(ctx context.Context, cmd commands.DeletePart) (commands.Result, error)
}

var _ PartCommands = (*commands.PartHandlers)(nil)

// LogHead tells where the log ends now, for a request that must read what every write
// before it did: Head should be the position of the newest committed event.
// eventstore.Store implements it, but the PostgreSQL store's Head is the newest event
// readers can see, which stays behind events committed after the cluster's oldest open
// transaction began; with it, such events can be missed (tests/parts_test.go,
// TestPartCategoryDeleteSeesCommittedWrites).
type LogHead interface {
	Head(ctx context.Context) (eventstore.Position, error)
}

// StockLocations tells whether a stock location exists, for the default_location
// that parts and categories refer to.
type StockLocations interface {
	LocationExists(ctx context.Context, pk int64) (bool, error)
}

// NewPartQueries serves PartQueries from the parts read model in db.
func NewPartQueries(db parts.DB) PartQueries { return partReadModel{db: db} }

type partReadModel struct{ db parts.DB }

func (m partReadModel) GetCategory(ctx context.Context, pk int64, pathDetail bool) (parts.Category, error) {
	return parts.GetCategory(ctx, m.db, pk, pathDetail)
}

func (m partReadModel) ListCategories(ctx context.Context, f parts.CategoryFilter) ([]parts.Category, int, error) {
	return parts.ListCategories(ctx, m.db, f)
}

func (m partReadModel) CategoryTree(ctx context.Context, ordering string, page parts.Page) ([]parts.CategoryTreeNode, int, error) {
	return parts.CategoryTree(ctx, m.db, ordering, page)
}

func (m partReadModel) CategoryContents(ctx context.Context, pk int64) (parts.Contents, error) {
	return parts.CategoryContents(ctx, m.db, pk)
}

func (m partReadModel) CountDirectParts(ctx context.Context, category int64) (int, error) {
	return parts.CountDirectParts(ctx, m.db, category)
}

func (m partReadModel) GetPart(ctx context.Context, pk int64, d parts.PartDetail) (parts.Part, error) {
	return parts.GetPart(ctx, m.db, pk, d)
}

func (m partReadModel) ListParts(ctx context.Context, f parts.PartFilter) ([]parts.Part, int, error) {
	return parts.ListParts(ctx, m.db, f)
}

// Django's URLValidator message, and the schemes InvenTree allows by default
// (InvenTree.validators.allowable_url_schemes, INVENTREE_STRICT_URLS on).
const msgInvalidURL = "Enter a valid URL."

var urlSchemes = map[string]bool{"http": true, "https": true, "ftp": true, "ftps": true}

// partRoutes registers the part area. Without its dependencies (the API's own unit
// tests) it is not served.
func (s *server) partRoutes(r chi.Router) {
	if s.cfg.Parts == nil || s.cfg.PartCommands == nil || s.cfg.LogHead == nil {
		return
	}
	s.handle(r, "/part/category/tree/", endpoint{Role: user.RolePartCategory, Get: s.categoryTree, Meta: meta{
		Name:        "Category Tree",
		Description: "API endpoint for accessing a list of PartCategory objects ready for rendering a tree.",
		Model:       "partcategory",
	}})
	s.handle(r, "/part/category/", endpoint{Role: user.RolePartCategory, Get: s.listCategories, Post: s.createCategory, Meta: meta{
		Name:        "Category List",
		Description: "API endpoint for accessing a list of PartCategory objects.\n\n- GET: Return a list of PartCategory objects\n- POST: Create a new PartCategory object",
		Model:       "partcategory",
		Fields:      categoryFields(),
	}})
	s.handle(r, "/part/category/{id:[0-9]+}/", endpoint{Role: user.RolePartCategory, Get: s.getCategory,
		Put: s.updateCategory, Patch: s.updateCategory, Delete: s.deleteCategory, Meta: meta{
			Name:        "Category Detail",
			Description: "API endpoint for detail view of a single PartCategory object.",
			Model:       "partcategory",
			Fields:      categoryFields(),
		}})
	s.handle(r, "/part/", endpoint{Role: user.RolePart, Get: s.listParts, Post: s.createPart, Meta: meta{
		Name:        "Part List",
		Description: "API endpoint for accessing a list of Part objects, or creating a new Part instance.",
		Model:       "part",
		Fields:      partFields(),
	}})
	s.handle(r, "/part/{id:[0-9]+}/", endpoint{Role: user.RolePart, Get: s.getPart,
		Put: s.updatePart, Patch: s.updatePart, Delete: s.deletePart, Meta: meta{
			Name:        "Part Detail",
			Description: "API endpoint for detail view of a single Part object.",
			Model:       "part",
			Fields:      partFields(),
		}})
}

// ---- categories ----

func (s *server) listCategories(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f parts.CategoryFilter
	// InvenTree's older API and its clients ask for top-level categories with
	// parent=null; the read model treats it as top level unless cascading.
	if pk, ok := q.nullablePK("parent"); ok && pk == 0 {
		f.ParentNull = true
	} else if ok {
		f.Parent = &pk
	}
	if v, ok := q.boolean("cascade"); ok {
		f.Cascade = &v
	}
	if v, ok := q.integer("depth"); ok {
		d := int(v)
		f.Depth = &d
	}
	if v, ok := q.boolean("top_level"); ok {
		f.TopLevel = &v
	}
	if v, ok := q.boolean("structural"); ok {
		f.Structural = &v
	}
	if v, ok := q.str("name"); ok {
		f.Name = &v
	}
	if pk, ok := q.pk("exclude_tree"); ok {
		f.ExcludeTree = &pk
	}
	starred, _ := q.boolean("starred")
	// django-filter's ModelChoiceFilter refuses a pk that names no category.
	if err := s.categoryChoice(ctx, q, "parent", f.Parent); err != nil {
		return err
	}
	if err := s.categoryChoice(ctx, q, "exclude_tree", f.ExcludeTree); err != nil {
		return err
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	if starred {
		return writeList(w, lq, 0, []parts.Category(nil))
	}
	v := r.URL.Query()
	f.Search, f.Ordering = searchParam(v), lastValue(v, "ordering")
	f.PathDetail = str2bool(lastValue(v, "path_detail"))
	f.Page = parts.Page{Limit: lq.Limit, Offset: lq.Offset}
	rows, total, err := s.cfg.Parts.ListCategories(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// categoryChoice records InvenTree's invalid-choice error on the filter name when pk
// names no category.
func (s *server) categoryChoice(ctx context.Context, q *query, name string, pk *int64) error {
	if pk == nil {
		return nil
	}
	_, err := s.cfg.Parts.GetCategory(ctx, *pk, false)
	if errors.Is(err, domain.ErrNotFound) {
		q.errs.Add(name, msgInvalidChoice)
		return nil
	}
	return err
}

func (s *server) categoryTree(w http.ResponseWriter, r *http.Request) error {
	lq := s.listQuery(r, ordering{})
	rows, total, err := s.cfg.Parts.CategoryTree(r.Context(), lastValue(r.URL.Query(), "ordering"),
		parts.Page{Limit: lq.Limit, Offset: lq.Offset})
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) getCategory(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	return s.writeCategory(w, r, http.StatusOK, pk)
}

// writeCategory answers the read model's category pk, with its path when asked.
func (s *server) writeCategory(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	c, err := s.cfg.Parts.GetCategory(r.Context(), pk, str2bool(lastValue(r.URL.Query(), "path_detail")))
	if err != nil {
		return err
	}
	return writeJSON(w, status, c)
}

// readCategory reads CategorySerializer's writable fields. Absent fields stay nil:
// a create starts from empty fields, a PUT or PATCH leaves them as they are (DRF's
// ModelSerializer sets only what it validated; PUT differs in requiring the name).
func readCategory(b *body) part.CategoryPatch {
	var p part.CategoryPatch
	p.Name = optStr(b, "name", required, maxLength(part.MaxCategoryName))
	p.Description = optStr(b, "description", allowBlank, maxLength(part.MaxCategoryDescription))
	p.Parent = optPK(b, "parent")
	p.DefaultLocation = optPK(b, "default_location")
	p.DefaultKeywords = optStr(b, "default_keywords", allowBlank, nullable, maxLength(part.MaxDefaultKeywords))
	p.Structural = optBool(b, "structural")
	p.Icon = optStr(b, "icon", allowBlank, nullable, maxLength(part.MaxIcon))
	return p
}

func (s *server) createCategory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	p := readCategory(b)
	if err := b.err(); err != nil {
		return err
	}
	if err := s.checkLocation(ctx, "default_location", p.DefaultLocation); err != nil {
		return err
	}
	pk, res, err := s.cfg.PartCommands.CreatePartCategory(ctx, commands.CreatePartCategory{Fields: p.Apply(part.CategoryFields{})})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(ctx, res, parts.Name); err != nil {
		return err
	}
	return s.writeCategory(w, r, http.StatusCreated, pk)
}

func (s *server) updateCategory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	// DRF finds the object before it reads the body: an unknown category is 404
	// whatever the body says.
	if _, err := s.cfg.Parts.GetCategory(ctx, pk, false); err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	p := readCategory(b)
	if err := b.err(); err != nil {
		return err
	}
	if err := s.checkLocation(ctx, "default_location", p.DefaultLocation); err != nil {
		return err
	}
	direct, err := s.cfg.Parts.CountDirectParts(ctx, pk)
	if err != nil {
		return err
	}
	res, err := s.cfg.PartCommands.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: pk, Patch: p, DirectParts: direct})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(ctx, res, parts.Name); err != nil {
		return err
	}
	return s.writeCategory(w, r, http.StatusOK, pk)
}

// deleteCategory deletes a category with InvenTree's options, read from the body as
// CategoryDetail.destroy reads them (str2bool of delete_parts and
// delete_child_categories, default false). What lies below the category comes from
// the read model, which is first brought up to the log's head, so that writes made
// before this request are in the lists: all of them once LogHead is the committed
// head, see there; commands.DeletePartCategory says what can slip by even then.
func (s *server) deleteCategory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	opts := part.DeleteOptions{
		DeleteParts:           b.flag("delete_parts"),
		DeleteChildCategories: b.flag("delete_child_categories"),
	}
	if err := s.awaitLogHead(ctx, parts.Name); err != nil {
		return err
	}
	c, err := s.cfg.Parts.CategoryContents(ctx, pk)
	if err != nil {
		return err
	}
	res, err := s.cfg.PartCommands.DeletePartCategory(ctx, commands.DeletePartCategory{
		ID: pk, Options: opts,
		Contents: commands.PartCategoryContents{
			Children: c.Children, Descendants: c.Descendants, Parts: c.Parts, SubtreeParts: c.SubtreeParts,
		},
	})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(ctx, res, parts.Name); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// maxHeadRounds bounds awaitLogHead's rounds; each is bounded by ProjectionWait too.
const maxHeadRounds = 10

// awaitLogHead returns once the named read models have applied the log up to its
// head. A readable head (see LogHead) lags behind what is committed while an older
// transaction is open, for instance a projection's own while it applies the previous
// batch; asking again after each wait until the head stays put catches what such
// transactions held back, though not what a transaction still open after the last
// round holds back.
func (s *server) awaitLogHead(ctx context.Context, names ...string) error {
	var last eventstore.Position
	for round := range maxHeadRounds {
		head, err := s.cfg.LogHead.Head(ctx)
		if err != nil {
			return err
		}
		if round > 0 && head == last {
			return nil
		}
		if err := s.awaitProjections(ctx, commands.Result{Appended: 1, Position: head}, names...); err != nil {
			return err
		}
		last = head
	}
	return nil
}

// flag reads an option as InvenTree's str2bool reads request.data: true, 1, "yes",
// "on", ... are true; anything else, absent included, is false, never an error.
func (b *body) flag(name string) bool {
	raw, ok := b.raw[name]
	if !ok {
		return false
	}
	return str2bool(pyStr(raw, kindOf(raw)))
}

// ---- parts ----

// partDetail reads the output options of the part endpoints.
func partDetail(r *http.Request) parts.PartDetail {
	v := r.URL.Query()
	return parts.PartDetail{
		CategoryDetail: str2bool(lastValue(v, "category_detail")),
		PathDetail:     str2bool(lastValue(v, "path_detail")),
	}
}

func (s *server) listParts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f parts.PartFilter
	// category is InvenTree's NumberOrNullFilter: a number or the word null.
	if v, ok := q.str("category"); ok && strings.EqualFold(v, "null") {
		f.CategoryNull = true
	} else if ok {
		if n, ok := q.integer("category"); ok {
			f.Category = &n
		}
	}
	if v, ok := q.boolean("cascade"); ok {
		f.Cascade = &v
	}
	for _, flag := range []struct {
		name string
		dst  **bool
	}{
		{"active", &f.Active}, {"assembly", &f.Assembly}, {"component", &f.Component},
		{"consumable", &f.Consumable}, {"is_template", &f.IsTemplate}, {"locked", &f.Locked},
		{"purchaseable", &f.Purchaseable}, {"salable", &f.Salable}, {"testable", &f.Testable},
		{"trackable", &f.Trackable}, {"virtual", &f.Virtual},
		{"has_ipn", &f.HasIPN}, {"has_units", &f.HasUnits}, {"is_variant", &f.IsVariant}, {"is_revision", &f.IsRevision},
	} {
		if v, ok := q.boolean(flag.name); ok {
			*flag.dst = &v
		}
	}
	if v, ok := q.str("IPN"); ok {
		f.IPN = &v
	}
	for _, ref := range []struct {
		name string
		dst  **int64
	}{{"variant_of", &f.VariantOf}, {"revision_of", &f.RevisionOf}, {"default_location", &f.DefaultLocation}} {
		if pk, ok := q.pk(ref.name); ok {
			*ref.dst = &pk
		}
	}
	if v, ok := q.str("exclude_id"); ok {
		// NumericInFilter: comma-separated numbers.
		for _, id := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
			if err != nil {
				q.errs.Add("exclude_id", "Enter a number.")
				break
			}
			f.ExcludeID = append(f.ExcludeID, n)
		}
	}
	f.OnOrder = optQueryBool(q, "on_order")
	starred, _ := q.boolean("starred")
	// ModelChoiceFilters refuse a pk that names no object.
	if err := s.partChoice(ctx, q, "variant_of", f.VariantOf); err != nil {
		return err
	}
	if err := s.partChoice(ctx, q, "revision_of", f.RevisionOf); err != nil {
		return err
	}
	if f.DefaultLocation != nil {
		if ok, err := s.locationExists(ctx, *f.DefaultLocation); err != nil {
			return err
		} else if !ok {
			q.errs.Add("default_location", msgInvalidChoice)
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	if starred {
		return writeList(w, lq, 0, []parts.Part(nil))
	}
	// PartFilter.filter_category: a category that does not exist filters nothing
	// when cascading.
	if f.Category != nil && (f.Cascade == nil || *f.Cascade) {
		_, err := s.cfg.Parts.GetCategory(ctx, *f.Category, false)
		if errors.Is(err, domain.ErrNotFound) {
			f.Category = nil
		} else if err != nil {
			return err
		}
	}
	v := r.URL.Query()
	f.Search, f.Ordering = searchParam(v), lastValue(v, "ordering")
	f.PartDetail = partDetail(r)
	f.Page = parts.Page{Limit: lq.Limit, Offset: lq.Offset}
	rows, total, err := s.cfg.Parts.ListParts(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// partChoice records InvenTree's invalid-choice error on the filter name when pk names
// no part.
func (s *server) partChoice(ctx context.Context, q *query, name string, pk *int64) error {
	if pk == nil {
		return nil
	}
	_, err := s.cfg.Parts.GetPart(ctx, *pk, parts.PartDetail{})
	if errors.Is(err, domain.ErrNotFound) {
		q.errs.Add(name, msgInvalidChoice)
		return nil
	}
	return err
}

func (s *server) getPart(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if at, ok, err := s.asOf(r); err != nil || ok {
		if err != nil {
			return err
		}
		return s.writePartAsOf(w, r, pk, at)
	}
	return s.writePart(w, r, http.StatusOK, pk)
}

// writePart answers the read model's part pk with the details the request asks for.
func (s *server) writePart(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	p, err := s.cfg.Parts.GetPart(r.Context(), pk, partDetail(r))
	if err != nil {
		return err
	}
	return writeJSON(w, status, p)
}

// readPart reads PartSerializer's writable fields that the part aggregate keeps.
// Absent fields stay nil, as in readCategory. Nullable text fields take null as "",
// which is how InvenTree shows an empty one.
func readPart(b *body) part.PartPatch {
	var p part.PartPatch
	p.Name = optStr(b, "name", required, maxLength(part.MaxName))
	p.Description = optStr(b, "description", allowBlank, maxLength(part.MaxDescription))
	p.IPN = optStr(b, "IPN", allowBlank, maxLength(part.MaxIPN))
	p.Revision = optStr(b, "revision", allowBlank, nullable, maxLength(part.MaxRevision))
	p.Keywords = optStr(b, "keywords", allowBlank, nullable, maxLength(part.MaxKeywords))
	p.Category = optPK(b, "category")
	p.DefaultLocation = optPK(b, "default_location")
	if v, ok := b.integer("default_expiry", minValue(0)); ok {
		p.DefaultExpiry = &v
	}
	p.Units = optStr(b, "units", allowBlank, nullable, maxLength(part.MaxUnits))
	if v, ok := b.decimal("minimum_stock"); ok {
		p.MinimumStock = &v
	}
	if v, ok := b.decimal("maximum_stock"); ok {
		p.MaximumStock = &v
	}
	p.Active = optBool(b, "active")
	p.Assembly = optBool(b, "assembly")
	p.Component = optBool(b, "component")
	p.IsTemplate = optBool(b, "is_template")
	p.Purchaseable = optBool(b, "purchaseable")
	p.Salable = optBool(b, "salable")
	p.Trackable = optBool(b, "trackable")
	p.Testable = optBool(b, "testable")
	p.Virtual = optBool(b, "virtual")
	p.Locked = optBool(b, "locked")
	p.Consumable = optBool(b, "consumable")
	p.Link = optStr(b, "link", allowBlank, nullable, maxLength(part.MaxLink))
	if p.Link != nil && *p.Link != "" && !validURL(*p.Link) {
		b.invalid("link", msgInvalidURL)
		p.Link = nil
	}
	p.Notes = optStr(b, "notes", allowBlank, nullable, maxLength(part.MaxNotes))
	p.VariantOf = optPK(b, "variant_of")
	p.RevisionOf = optPK(b, "revision_of")
	p.Responsible = optPK(b, "responsible")
	p.CreationUser = optPK(b, "creation_user")
	return p
}

// validURL is Django's URLValidator in outline: an allowed scheme, a host, no spaces.
func validURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && urlSchemes[strings.ToLower(u.Scheme)] && u.Host != "" && u.Hostname() != ""
}

func (s *server) createPart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, ok := AccessFrom(ctx)
	if !ok {
		return errNotAuthenticated
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	p := readPart(b)
	if err := b.err(); err != nil {
		return err
	}
	// PartSerializer.create overwrites creation_user with the requesting user, so a
	// creation_user in the request is neither kept nor checked.
	p.CreationUser = nil
	if err := s.checkPartRefs(ctx, p); err != nil {
		return err
	}
	f := p.Apply(part.DefaultPartFields())
	f.CreationUser = a.UserID
	pk, res, err := s.cfg.PartCommands.CreatePart(ctx, commands.CreatePart{Fields: f})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(ctx, res, parts.Name); err != nil {
		return err
	}
	return s.writePart(w, r, http.StatusCreated, pk)
}

func (s *server) updatePart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.cfg.Parts.GetPart(ctx, pk, parts.PartDetail{}); err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	p := readPart(b)
	if err := b.err(); err != nil {
		return err
	}
	if err := s.checkPartRefs(ctx, p); err != nil {
		return err
	}
	res, err := s.cfg.PartCommands.UpdatePart(ctx, commands.UpdatePart{ID: pk, Patch: p})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(ctx, res, parts.Name); err != nil {
		return err
	}
	return s.writePart(w, r, http.StatusOK, pk)
}

func (s *server) deletePart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	res, err := s.cfg.PartCommands.DeletePart(ctx, commands.DeletePart{ID: pk})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(ctx, res, parts.Name); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// checkPartRefs checks the references the part commands cannot: the stock location,
// the user and the owner, read from their read models, as DRF's
// PrimaryKeyRelatedFields look them up. Categories and parts are checked by the
// command against their streams.
func (s *server) checkPartRefs(ctx context.Context, p part.PartPatch) error {
	if err := s.checkLocation(ctx, "default_location", p.DefaultLocation); err != nil {
		return err
	}
	if s.cfg.Users == nil {
		return nil
	}
	if pk := p.CreationUser; pk != nil && *pk != 0 {
		if _, err := s.cfg.Users.User(ctx, *pk); errors.Is(err, domain.ErrNotFound) {
			return &domain.NotFoundError{Kind: "User", ID: *pk, Field: "creation_user"}
		} else if err != nil {
			return err
		}
	}
	if pk := p.Responsible; pk != nil && *pk != 0 {
		// Owner pks encode a group (odd) or a user (even), see OwnerPK.
		var err error
		if *pk%2 == 1 {
			_, err = s.cfg.Users.Group(ctx, *pk/2)
		} else {
			_, err = s.cfg.Users.User(ctx, *pk/2)
		}
		if errors.Is(err, domain.ErrNotFound) {
			return &domain.NotFoundError{Kind: "Owner", ID: *pk, Field: "responsible"}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// checkLocation answers a stock location pk that names no location as DRF does, on
// field; without StockLocations configured, locations are not checked.
func (s *server) checkLocation(ctx context.Context, field string, pk *int64) error {
	if pk == nil || *pk == 0 {
		return nil
	}
	ok, err := s.locationExists(ctx, *pk)
	if err != nil {
		return err
	}
	if !ok {
		return &domain.NotFoundError{Kind: "StockLocation", ID: *pk, Field: field}
	}
	return nil
}

func (s *server) locationExists(ctx context.Context, pk int64) (bool, error) {
	if s.cfg.StockLocations == nil {
		return true, nil
	}
	return s.cfg.StockLocations.LocationExists(ctx, pk)
}

// ---- field readers for patches ----

// optStr reads a text field for a patch: nil when absent or invalid, "" for null.
func optStr(b *body, name string, opts ...fieldOpt) *string {
	if v, ok := b.str(name, opts...); ok {
		return &v
	}
	if b.isNull(name) && rulesOf(opts).null {
		empty := ""
		return &empty
	}
	return nil
}

// optPK reads a nullable reference for a patch: nil when absent or invalid, 0 for
// null (or "", which DRF takes as null).
func optPK(b *body, name string) *int64 {
	if v, ok := b.pk(name, nullable); ok {
		return &v
	}
	if raw, ok := b.raw[name]; ok {
		if k := kindOf(raw); k == kindNull || (k == kindString && scalarText(raw) == "") {
			var none int64
			return &none
		}
	}
	return nil
}

// optBool reads a boolean for a patch: nil when absent or invalid.
func optBool(b *body, name string) *bool {
	if v, ok := b.boolean(name); ok {
		return &v
	}
	return nil
}

// ---- OPTIONS field descriptions ----

// categoryFields are CategorySerializer's fields (path only appears with path_detail).
func categoryFields() []fieldMeta {
	return []fieldMeta{
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "name", Type: typeString, Required: true, Label: "Name", HelpText: "Name", MaxLength: part.MaxCategoryName},
		{Name: "description", Type: typeString, Label: "Description", HelpText: "Description (optional)", MaxLength: part.MaxCategoryDescription},
		{Name: "default_location", Type: typeRelated, Label: "Default Location", HelpText: "Default location for parts in this category",
			Model: "stocklocation", APIURL: "/api/stock/location/"},
		{Name: "default_keywords", Type: typeString, Label: "Default keywords", HelpText: "Default keywords for parts in this category",
			MaxLength: part.MaxDefaultKeywords},
		{Name: "level", Type: typeInteger, ReadOnly: true, Label: "Level"},
		{Name: "parent", Type: typeRelated, Label: "Parent Category", HelpText: "Parent part category",
			Model: "partcategory", APIURL: "/api/part/category/"},
		{Name: "part_count", Type: typeInteger, ReadOnly: true, Label: "Parts"},
		{Name: "subcategories", Type: typeInteger, ReadOnly: true, Label: "Subcategories"},
		{Name: "pathstring", Type: typeString, ReadOnly: true, Label: "Path", HelpText: "Path"},
		{Name: "starred", Type: typeField, ReadOnly: true, Label: "Starred"},
		{Name: "structural", Type: typeBoolean, Label: "Structural", Default: false,
			HelpText: "Parts may not be directly assigned to a structural category, but may be assigned to child categories."},
		{Name: "icon", Type: typeString, Label: "Icon", HelpText: "Icon (optional)", MaxLength: part.MaxIcon},
		{Name: "parent_default_location", Type: typeInteger, ReadOnly: true, Label: "Parent default location"},
	}
}

// partFields are PartSerializer's fields that this API serves, with the defaults of
// part.DefaultPartFields. The stock figures go here, read-only, once the stock read
// model supplies them.
func partFields() []fieldMeta {
	d := part.DefaultPartFields()
	flag := func(name, label, help string, def bool) fieldMeta {
		return fieldMeta{Name: name, Type: typeBoolean, Label: label, HelpText: help, Default: def}
	}
	return []fieldMeta{
		flag("active", "Active", "Is this part active?", d.Active),
		flag("assembly", "Assembly", "Can this part be built from other parts?", d.Assembly),
		{Name: "barcode_hash", Type: typeString, ReadOnly: true, Label: "Barcode Hash", HelpText: "Unique hash of barcode data"},
		{Name: "category", Type: typeRelated, Label: "Category", HelpText: "Part category", Model: "partcategory", APIURL: "/api/part/category/"},
		{Name: "category_name", Type: typeString, ReadOnly: true, Label: "Category Name"},
		{Name: "in_stock", Type: typeFloat, ReadOnly: true, Label: "In Stock"},
		{Name: "ordering", Type: typeFloat, ReadOnly: true, Label: "On Order"},
		{Name: "variant_stock", Type: typeFloat, ReadOnly: true, Label: "Variant Stock"},
		{Name: "total_in_stock", Type: typeFloat, ReadOnly: true, Label: "Total In Stock"},
		{Name: "external_stock", Type: typeFloat, ReadOnly: true, Label: "External Stock"},
		{Name: "unallocated_stock", Type: typeFloat, ReadOnly: true, Label: "Unallocated Stock"},
		{Name: "stock_item_count", Type: typeInteger, ReadOnly: true, Label: "Stock Item Count"},
		flag("component", "Component", "Can this part be used to build other parts?", d.Component),
		{Name: "creation_date", Type: typeDate, ReadOnly: true, Label: "Creation Date"},
		{Name: "creation_user", Type: typeRelated, Label: "Creation User", Model: "user", APIURL: "/api/user/"},
		{Name: "default_expiry", Type: typeInteger, Label: "Default Expiry", HelpText: "Expiry time (in days) for stock items of this part",
			Default: d.DefaultExpiry, MinValue: 0},
		{Name: "default_location", Type: typeRelated, Label: "Default Location", HelpText: "Where is this item normally stored?",
			Model: "stocklocation", APIURL: "/api/stock/location/"},
		{Name: "description", Type: typeString, Label: "Description", HelpText: "Part description (optional)", MaxLength: part.MaxDescription},
		{Name: "full_name", Type: typeString, ReadOnly: true, Label: "Full name",
			HelpText: "Format a 'full name' for this Part based on the format PART_NAME_FORMAT defined in InvenTree settings."},
		{Name: "image", Type: typeImage, ReadOnly: true, Label: "Image"},
		{Name: "IPN", Type: typeString, Label: "IPN", HelpText: "Internal Part Number", Default: d.IPN, MaxLength: part.MaxIPN},
		flag("is_template", "Is Template", "Is this part a template part?", d.IsTemplate),
		{Name: "keywords", Type: typeString, Label: "Keywords", HelpText: "Part keywords to improve visibility in search results",
			MaxLength: part.MaxKeywords},
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "Link to external URL", MaxLength: part.MaxLink},
		flag("locked", "Locked", "Locked parts cannot be edited", d.Locked),
		{Name: "minimum_stock", Type: typeFloat, Label: "Minimum Stock", HelpText: "Minimum allowed stock level", Default: json.Number("0.0")},
		{Name: "maximum_stock", Type: typeFloat, Label: "Maximum Stock", HelpText: "Maximum allowed stock level", Default: json.Number("0.0")},
		{Name: "name", Type: typeString, Required: true, Label: "Name", HelpText: "Part name", MaxLength: part.MaxName},
		{Name: "notes", Type: typeString, Label: "Notes", HelpText: "Markdown notes (optional)", MaxLength: part.MaxNotes},
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		flag("purchaseable", "Purchaseable", "Can this part be purchased from external suppliers?", d.Purchaseable),
		{Name: "revision", Type: typeString, Label: "Revision", HelpText: "Part revision or version number", Default: d.Revision,
			MaxLength: part.MaxRevision},
		{Name: "revision_of", Type: typeRelated, Label: "Revision Of", HelpText: "Is this part a revision of another part?",
			Model: "part", APIURL: "/api/part/"},
		{Name: "revision_count", Type: typeInteger, ReadOnly: true, Label: "Revisions"},
		flag("salable", "Salable", "Can this part be sold to customers?", d.Salable),
		{Name: "starred", Type: typeField, ReadOnly: true, Label: "Starred"},
		{Name: "thumbnail", Type: typeString, ReadOnly: true, Label: "Thumbnail"},
		flag("testable", "Testable", "Can this part have test results recorded against it?", d.Testable),
		flag("trackable", "Trackable", "Does this part have tracking for unique items?", d.Trackable),
		{Name: "units", Type: typeString, Label: "Units", HelpText: "Units of measure for this part", MaxLength: part.MaxUnits},
		{Name: "variant_of", Type: typeRelated, Label: "Variant Of", HelpText: "Is this part a variant of another part?",
			Model: "part", APIURL: "/api/part/", Filters: map[string]any{"is_template": true}},
		flag("virtual", "Virtual", "Is this a virtual part, such as a software product or license?", d.Virtual),
		flag("consumable", "Consumable", "Is this part consumable, such as glue or a fastener?", d.Consumable),
		{Name: "pricing_min", Type: typeDecimal, ReadOnly: true, Label: "Minimum Cost"},
		{Name: "pricing_max", Type: typeDecimal, ReadOnly: true, Label: "Maximum Cost"},
		{Name: "pricing_updated", Type: typeDatetime, ReadOnly: true, Label: "Updated"},
		{Name: "responsible", Type: typeRelated, Label: "Responsible", Model: "owner", APIURL: "/api/user/owner/"},
		{Name: "category_default_location", Type: typeInteger, ReadOnly: true, Label: "Category default location"},
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
	}
}

// countSet counts the true values, for Validate's all-or-none checks.
func countSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}
