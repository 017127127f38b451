package api

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/stockledger/stockledger/domain"
)

// msgInvalidChoice is django-filter's message for a filter value it cannot use.
const msgInvalidChoice = "Select a valid choice. That choice is not one of the available choices."

// query reads a list endpoint's filter parameters. As with body, a bad value is
// recorded and reading goes on: read every filter, then return q.err() (400
// {"param": ["message"]}). An empty value is no filter, as in django-filter, and a
// repeated parameter counts with its last value, as in Django.
type query struct {
	values url.Values
	errs   domain.RuleError
}

func newQuery(r *http.Request) *query {
	return &query{values: r.URL.Query()}
}

// err is every bad parameter, or nil.
func (q *query) err() error { return q.errs.Err() }

// lastValue is a parameter's last value, as Django's QueryDict.get returns it.
func lastValue(v url.Values, name string) string {
	vs := v[name]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// str reads a text filter.
func (q *query) str(name string) (string, bool) {
	v := strings.TrimSpace(lastValue(q.values, name))
	if strings.ContainsRune(v, 0) {
		// Django's forms refuse them (ProhibitNullCharactersValidator); PostgreSQL
		// text cannot hold them.
		q.errs.Add(name, msgNullCharacters)
		return "", false
	}
	return v, v != ""
}

// boolean reads a boolean filter or option (part_detail, cascade, in_stock, ...):
// true/false, 1/0, yes/no, y/n, t/f, on/off, any case.
func (q *query) boolean(name string) (bool, bool) {
	v, ok := q.str(name)
	if !ok {
		return false, false
	}
	switch strings.ToLower(v) {
	case "true", "1", "yes", "y", "t", "on":
		return true, true
	case "false", "0", "no", "n", "f", "off":
		return false, true
	}
	q.errs.Add(name, msgInvalidChoice)
	return false, false
}

// integer reads a number filter (depth, ...).
func (q *query) integer(name string) (int64, bool) {
	v, ok := q.str(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		q.errs.Add(name, "Enter a number.")
		return 0, false
	}
	return n, true
}

// pk reads a filter naming another object by primary key (part, location, ...).
func (q *query) pk(name string) (int64, bool) {
	v, ok := q.str(name)
	if !ok {
		return 0, false
	}
	pk, err := strconv.ParseInt(v, 10, 64)
	if err != nil || pk <= 0 {
		q.errs.Add(name, msgInvalidChoice)
		return 0, false
	}
	return pk, true
}

// nullablePK is pk where InvenTree also accepts "null" for "is null" (location=null:
// items at no location, parent=null: top level). It returns 0 and true for null.
func (q *query) nullablePK(name string) (int64, bool) {
	if v, ok := q.str(name); ok && strings.EqualFold(v, "null") {
		return 0, true
	}
	return q.pk(name)
}

// ListQuery is how a list request wants its rows: the page, the order and the search.
// Handlers get it from listQuery and pass it to the read-model query, which applies it
// in SQL and returns the page's rows with the total count for writeList.
type ListQuery struct {
	// Limit is the page size; 0 when the request asked for no page (no limit, or one
	// DRF would not accept): every row, answered as a bare JSON array.
	Limit int
	// Offset is how many rows to skip; 0 when not paged.
	Offset int
	// Order is the ordering: SQL expressions from the endpoint's whitelist, each with
	// its direction, always ending with the primary key so that pages are stable.
	Order []OrderTerm
	// Search holds the search terms; a row matches when each term matches one of the
	// area's search fields (case-insensitive substring). Empty: no search.
	Search []string
	// SearchRegex: the terms are regular expressions (InvenTree's search_regex).
	SearchRegex bool
	// SearchWhole: the terms match whole words only (InvenTree's search_whole).
	SearchWhole bool

	self *url.URL // the request's absolute URL, for the next and previous links
}

// OrderTerm is one ORDER BY term.
type OrderTerm struct {
	SQL  string // trusted: it comes from an endpoint's whitelist, never from the request
	Desc bool
}

// Paged reports whether the request asked for a page.
func (q ListQuery) Paged() bool { return q.Limit > 0 }

// OrderBy is the ordering as an SQL ORDER BY list ("p.name ASC, p.id ASC"), "" when
// there is none.
func (q ListQuery) OrderBy() string {
	parts := make([]string, len(q.Order))
	for i, t := range q.Order {
		dir := " ASC"
		if t.Desc {
			dir = " DESC"
		}
		parts[i] = t.SQL + dir
	}
	return strings.Join(parts, ", ")
}

// ordering is what a list may be ordered by: InvenTree's ordering_fields, with
// ordering_field_aliases folded in, as API name -> SQL expressions (an alias may order
// by several, e.g. "reference": {"o.reference_int", "o.reference"}).
type ordering struct {
	Fields map[string][]string
	// Default applies when the request gives no valid ordering: API names from
	// Fields, "-" for descending.
	Default []string
	// PK is the SQL of the primary key, which every ordering ends with (descending
	// if any other term is), as InvenTree's ordering filter does.
	PK string
}

// listQuery reads limit, offset, ordering and search as DRF's LimitOffsetPagination,
// OrderingFilter and SearchFilter do. None of them is ever an error: a limit that is
// not a positive integer means no paging, a bad offset is 0, unknown ordering names are
// dropped.
func (s *server) listQuery(r *http.Request, o ordering) ListQuery {
	v := r.URL.Query()
	q := ListQuery{self: s.absoluteURL(r)}
	if n, err := strconv.Atoi(strings.TrimSpace(lastValue(v, "limit"))); err == nil && n > 0 {
		q.Limit = n
		if off, err := strconv.Atoi(strings.TrimSpace(lastValue(v, "offset"))); err == nil && off > 0 {
			q.Offset = off
		}
	}
	q.Order = o.resolve(lastValue(v, "ordering"))
	q.Search = searchTerms(searchParam(v))
	q.SearchRegex = str2bool(lastValue(v, "search_regex"))
	q.SearchWhole = str2bool(lastValue(v, "search_whole"))
	return q
}

// resolve turns an ordering parameter into ORDER BY terms.
func (o ordering) resolve(param string) []OrderTerm {
	var names []string
	for _, term := range strings.Split(param, ",") {
		term = strings.TrimSpace(term)
		if _, ok := o.Fields[strings.TrimPrefix(term, "-")]; ok && term != "" {
			names = append(names, term)
		}
	}
	if len(names) == 0 {
		names = o.Default
	}
	var out []OrderTerm
	anyDesc := false
	for _, name := range names {
		desc := strings.HasPrefix(name, "-")
		anyDesc = anyDesc || desc
		for _, sql := range o.Fields[strings.TrimPrefix(name, "-")] {
			out = append(out, OrderTerm{SQL: sql, Desc: desc})
		}
	}
	if o.PK != "" {
		for _, t := range out {
			if t.SQL == o.PK {
				return out
			}
		}
		out = append(out, OrderTerm{SQL: o.PK, Desc: anyDesc})
	}
	return out
}

// searchParam is the search parameter as DRF's SearchFilter reads it: NUL characters,
// which PostgreSQL text cannot hold, are dropped rather than refused.
func searchParam(v url.Values) string {
	return strings.ReplaceAll(lastValue(v, "search"), "\x00", "")
}

// reSearchToken is Django's smart_split: whitespace-separated tokens, where a quoted
// phrase stays one token.
var reSearchToken = regexp.MustCompile(`((?:[^\s'"]*(?:(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')[^\s'"]*)+)|\S+)`)

// searchTerms splits a search parameter as DRF's SearchFilter does: on whitespace and
// commas, keeping quoted phrases together; InvenTree drops blank terms.
func searchTerms(param string) []string {
	var out []string
	for _, tok := range reSearchToken.FindAllString(param, -1) {
		tok = strings.Trim(tok, ",")
		if len(tok) >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[0] == tok[len(tok)-1] {
			if t := strings.TrimSpace(unquote(tok)); t != "" {
				out = append(out, t)
			}
			continue
		}
		for _, sub := range strings.Split(tok, ",") {
			if t := strings.TrimSpace(sub); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// unquote is Django's unescape_string_literal.
func unquote(s string) string {
	q := s[:1]
	return strings.ReplaceAll(strings.ReplaceAll(s[1:len(s)-1], `\`+q, q), `\\`, `\`)
}

// str2bool is InvenTree's lenient helper for option flags that never fail.
func str2bool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "y", "yes", "t", "true", "ok", "on":
		return true
	}
	return false
}
