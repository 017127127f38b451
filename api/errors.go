package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
)

// DRF's messages for authentication and permission failures.
const (
	msgNotAuthenticated = "Authentication credentials were not provided."
	msgInvalidToken     = "Invalid token."
	msgBadCredentials   = "Invalid username/password."
	msgPermissionDenied = "You do not have permission to perform this action."
	msgUnavailable      = "Service temporarily unavailable, try again later."
	msgNotFound         = "Not found."
)

var (
	// errNotAuthenticated: the request needs a user and came without credentials (401).
	errNotAuthenticated = errors.New("authentication credentials were not provided")
	// errPermissionDenied: the user lacks the role the request needs (403).
	errPermissionDenied = errors.New("permission denied")
)

// ErrProjectionsBehind means a write was appended but the read models did not apply it
// within the configured wait. The client gets 503; the write stands.
var ErrProjectionsBehind = errors.New("read models did not catch up in time")

// RequestError is a request refused while reading it, before anything is decided: a
// body that is not JSON, a media type the API cannot parse, a body too large. The
// client gets Status and {"detail": Detail}. Bad field values are not RequestErrors:
// they are violations, reported per field (see body).
type RequestError struct {
	Status int
	Detail string
}

func (e *RequestError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Detail) }

type detailBody struct {
	Detail string `json:"detail"`
}

// serverErrorBody is InvenTree's answer to an unhandled exception.
type serverErrorBody struct {
	Error      string `json:"error"`
	ErrorClass string `json:"error_class"`
	Detail     string `json:"detail"`
	Path       string `json:"path"`
	StatusCode int    `json:"status_code"`
}

// fail answers err in DRF's shape. It is the one place errors become responses:
//
//   - wrong credentials: 401 with DRF's message and `WWW-Authenticate: Token`;
//     no credentials where a user is needed: 401; a missing role: 403;
//   - *RequestError: its status and {"detail": ...};
//   - *domain.RuleError: 400 {"field": ["message"]}, dotted paths nested (violationBody);
//   - *domain.NotFoundError: 404 {"detail": "No <Kind> matches the given query."}, or,
//     when it names the request field that referred to it, 400 {"<field>": ["Invalid
//     pk \"12\" - object does not exist."]};
//   - ErrProjectionsBehind, a deadline, too many write conflicts: 503;
//   - anything else: 500 in InvenTree's shape, logged once here, with only the error's
//     class shown.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorResponse(r, err)
	if status == http.StatusUnauthorized {
		// DRF names its first authentication scheme; InvenTree's is the token.
		w.Header().Set("WWW-Authenticate", "Token")
	}
	if encErr := writeJSON(w, status, body); encErr != nil {
		s.log.ErrorContext(r.Context(), "encode error response", "err", encErr)
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// authDetailer is an authentication error that knows InvenTree's exact wording for
// its case ("Token has expired", "Invalid token header. ..."); without one the generic
// DRF message is used.
type authDetailer interface{ AuthDetail() string }

func (s *server) errorResponse(r *http.Request, err error) (int, any) {
	var (
		reqErr   *RequestError
		rule     *domain.RuleError
		notFound *domain.NotFoundError
		tooLarge *http.MaxBytesError
	)
	var worded authDetailer
	switch {
	case (errors.Is(err, user.ErrInvalidToken) || errors.Is(err, user.ErrBadCredentials)) &&
		errors.As(err, &worded) && worded.AuthDetail() != "":
		return http.StatusUnauthorized, detailBody{worded.AuthDetail()}
	case errors.Is(err, user.ErrInvalidToken):
		return http.StatusUnauthorized, detailBody{msgInvalidToken}
	case errors.Is(err, user.ErrBadCredentials):
		return http.StatusUnauthorized, detailBody{msgBadCredentials}
	case errors.Is(err, errNotAuthenticated):
		return http.StatusUnauthorized, detailBody{msgNotAuthenticated}
	case errors.Is(err, errPermissionDenied):
		return http.StatusForbidden, detailBody{msgPermissionDenied}
	case errors.As(err, &reqErr):
		return reqErr.Status, detailBody{reqErr.Detail}
	case errors.As(err, &rule):
		return http.StatusBadRequest, violationBody(rule.Violations)
	case errors.As(err, &notFound) && notFound.Field != "":
		msg := fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", notFound.ID)
		return http.StatusBadRequest, violationBody([]domain.Violation{{Field: notFound.Field, Message: msg}})
	case errors.As(err, &notFound):
		return http.StatusNotFound, detailBody{fmt.Sprintf("No %s matches the given query.", notFound.Kind)}
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, detailBody{"Request body too large."}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads this answer and nothing failed.
		s.log.DebugContext(r.Context(), "request canceled", "method", r.Method, "path", r.URL.Path, "err", err)
		return http.StatusServiceUnavailable, detailBody{msgUnavailable}
	case errors.Is(err, ErrProjectionsBehind), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, commands.ErrTooManyConflicts):
		s.log.WarnContext(r.Context(), "request unavailable", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r), "err", err)
		return http.StatusServiceUnavailable, detailBody{msgUnavailable}
	}
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
		"request_id", requestID(r), "err", err)
	name, class := errorClass(err)
	return http.StatusInternalServerError, serverErrorBody{
		Error:      name,
		ErrorClass: class,
		Detail:     "Error details can be found in the server log",
		Path:       r.URL.Path,
		StatusCode: http.StatusInternalServerError,
	}
}

// errorClass names the type of err's root cause, as InvenTree names the exception
// class: the short name and the qualified one. Nothing of the message leaks.
func errorClass(err error) (name, class string) {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	class = fmt.Sprintf("%T", err)
	name = strings.TrimLeft(class, "*")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name, class
}

// notFound answers an unknown /api/ path as InvenTree's NotFoundView: to anyone, with
// the absolute URL asked for.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	body := struct {
		Detail string `json:"detail"`
		URL    string `json:"url"`
	}{"API endpoint not found", s.absoluteURL(r).String()}
	if err := writeJSON(w, http.StatusNotFound, body); err != nil {
		s.fail(w, r, err)
	}
}

// methodNotAllowed answers a method no endpoint knows (endpoints answer their own
// unsupported methods, after authentication, see handle).
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if err := writeJSON(w, http.StatusMethodNotAllowed, methodNotAllowedBody(r.Method)); err != nil {
		s.fail(w, r, err)
	}
}

// methodNotAllowedBody is DRF's 405 body.
func methodNotAllowedBody(method string) detailBody {
	return detailBody{fmt.Sprintf("Method \"%s\" not allowed.", method)}
}

// recoverer turns a panic into a logged 500 in InvenTree's shape.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http aborts a response this way; let it
				panic(v)
			}
			s.fail(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}()
		next.ServeHTTP(w, r)
	})
}

// violationBody renders violations as DRF renders a serializer's errors. A dotted path
// nests: "items.1.quantity" gives {"items": [{}, {"quantity": ["..."]}]}, the list
// aligned with the request's items, as DRF's nested list serializers do. A path ending
// in an index ("items.1") is a bad element of a list of plain values and gives DRF's
// ListField shape {"items": {"1": ["..."]}}; an element of a list of objects that is
// wrong as a whole is "items.1.non_field_errors". The empty path is the request as a
// whole: "non_field_errors".
func violationBody(vs []domain.Violation) any {
	root := &errNode{}
	for _, v := range vs {
		n := root
		if v.Field != "" {
			for _, seg := range strings.Split(v.Field, ".") {
				n = n.child(seg)
			}
		}
		n.msgs = append(n.msgs, v.Message)
	}
	if len(root.index) > 0 && len(root.keys) == 0 && len(root.msgs) == 0 && !root.leafIndices() {
		return root.render() // a list body: the request itself was a list
	}
	return root.renderObject()
}

// errNode is one place in the request with its messages and its children, either
// named (object fields) or numbered (list elements).
type errNode struct {
	msgs  []string
	keys  []string // in first-seen order
	named map[string]*errNode
	index map[int]*errNode
}

func (n *errNode) child(seg string) *errNode {
	if i, err := strconv.Atoi(seg); err == nil && i >= 0 && strconv.Itoa(i) == seg {
		if n.index == nil {
			n.index = map[int]*errNode{}
		}
		if n.index[i] == nil {
			n.index[i] = &errNode{}
		}
		return n.index[i]
	}
	if n.named == nil {
		n.named = map[string]*errNode{}
	}
	if n.named[seg] == nil {
		n.named[seg] = &errNode{}
		n.keys = append(n.keys, seg)
	}
	return n.named[seg]
}

func (n *errNode) leaf() bool { return len(n.named) == 0 && len(n.index) == 0 }

// leafIndices reports whether every numbered child is a plain message list: a
// ListField of values rather than a list of objects.
func (n *errNode) leafIndices() bool {
	for _, c := range n.index {
		if !c.leaf() {
			return false
		}
	}
	return true
}

func (n *errNode) render() any {
	switch {
	case n.leaf():
		return n.msgs
	case len(n.index) > 0 && len(n.named) == 0 && len(n.msgs) == 0 && !n.leafIndices():
		last := 0
		for i := range n.index {
			last = max(last, i)
		}
		list := make([]any, last+1)
		for i := range list {
			switch c := n.index[i]; {
			case c == nil:
				list[i] = object{}
			case c.leaf():
				list[i] = object{{"non_field_errors", c.msgs}}
			default:
				list[i] = c.renderObject()
			}
		}
		return list
	default:
		return n.renderObject()
	}
}

// renderObject renders n as an object: named children, then numbered ones keyed by
// their index, with n's own messages as non_field_errors.
func (n *errNode) renderObject() object {
	out := object{}
	var nonField []string
	for _, k := range n.keys {
		if k == "non_field_errors" && n.named[k].leaf() {
			nonField = append(nonField, n.named[k].msgs...)
			continue
		}
		out = append(out, member{k, n.named[k].render()})
	}
	indices := make([]int, 0, len(n.index))
	for i := range n.index {
		indices = append(indices, i)
	}
	sort.Ints(indices)
	for _, i := range indices {
		out = append(out, member{strconv.Itoa(i), n.index[i].render()})
	}
	if nonField = append(nonField, n.msgs...); len(nonField) > 0 {
		out = append(out, member{"non_field_errors", nonField})
	}
	return out
}
