package api

import (
	"net/http"
	"net/url"
	"strconv"
)

// page is DRF's LimitOffsetPagination envelope.
type page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// writeList answers a list request with the rows of the page q asked for and the
// count of all matching rows: a bare JSON array when q is not paged (InvenTree's
// clients rely on that), else DRF's {"count", "next", "previous", "results"} with
// absolute links that keep the request's other parameters.
func writeList[T any](w http.ResponseWriter, q ListQuery, count int, rows []T) error {
	if rows == nil {
		rows = []T{}
	}
	if !q.Paged() {
		return writeJSON(w, http.StatusOK, rows)
	}
	return writeJSON(w, http.StatusOK, page[T]{Count: count, Next: q.next(count), Previous: q.previous(), Results: rows})
}

// next is DRF's get_next_link.
func (q ListQuery) next(count int) *string {
	if q.Offset+q.Limit >= count {
		return nil
	}
	return q.link(q.Offset + q.Limit)
}

// previous is DRF's get_previous_link: the first page's link has no offset.
func (q ListQuery) previous() *string {
	if q.Offset <= 0 {
		return nil
	}
	return q.link(max(q.Offset-q.Limit, 0))
}

// link is the request's URL with limit and offset replaced; as DRF's
// replace_query_param, the parameters come out sorted by name.
func (q ListQuery) link(offset int) *string {
	var u url.URL
	if q.self != nil {
		u = *q.self
	}
	v := u.Query()
	v.Set("limit", strconv.Itoa(q.Limit))
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	} else {
		v.Del("offset")
	}
	u.RawQuery = v.Encode()
	s := u.String()
	return &s
}
