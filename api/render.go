package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// contentTypeJSON is the only content type the API renders. Exactly this: the InvenTree
// Python client compares the header for equality, so no charset parameter.
const contentTypeJSON = "application/json"

// writeJSON writes v as the response body with status. It fails only when v cannot be
// encoded, before anything is written, so the handler can return the error and the
// client gets a proper 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// DRF's renderer leaves <, > and & alone.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	// A failed write means the client left; there is no one to tell.
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return nil
}

// writeNoContent answers 204 with no body and, as DRF, no content type: a DELETE.
func writeNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// object is a JSON object that keeps its members in order, for bodies whose order
// InvenTree fixes (status values, OPTIONS fields). Go maps would sort the keys.
type object []member

type member struct {
	Key   string
	Value any
}

// MarshalJSON encodes o as one JSON object, members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(m.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// absoluteURL is the URL the client asked for, with scheme and host, as Django's
// build_absolute_uri: pagination links and 404 bodies carry it.
func (s *server) absoluteURL(r *http.Request) *url.URL {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if s.cfg.TrustProxyHeaders {
		if p := firstHeaderValue(r, "X-Forwarded-Proto"); p == "http" || p == "https" {
			u.Scheme = p
		}
		if h := firstHeaderValue(r, "X-Forwarded-Host"); h != "" {
			u.Host = h
		}
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	return &u
}

// firstHeaderValue is the first of a comma-separated header's values: the one the
// outermost proxy set.
func firstHeaderValue(r *http.Request, name string) string {
	v, _, _ := strings.Cut(r.Header.Get(name), ",")
	return strings.TrimSpace(v)
}
