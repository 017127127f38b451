package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
)

// Authenticator finds out who sent a request, from InvenTree's credentials (an
// `Authorization: Token <key>` header, HTTP Basic, ...).
type Authenticator interface {
	// Authenticate returns the user's access and true. With no credentials at all it
	// returns false and no error: the request is anonymous. Credentials that are
	// presented but wrong give an error wrapping user.ErrInvalidToken or
	// user.ErrBadCredentials (401); any other error is a failure (500).
	Authenticate(ctx context.Context, r *http.Request) (user.Access, bool, error)
}

type accessKey struct{}

// AccessFrom returns the authenticated user of a request's context; false for an
// anonymous request.
func AccessFrom(ctx context.Context) (user.Access, bool) {
	a, ok := ctx.Value(accessKey{}).(user.Access)
	return a, ok
}

// authenticate runs the Authenticator on every request, as DRF does: wrong credentials
// are refused with 401 even where anonymous access would do. It also sets the command
// metadata, so that every event a request appends records who and which request.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		access, ok, err := s.cfg.Auth.Authenticate(r.Context(), r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ctx := r.Context()
		meta := eventstore.Metadata{RequestID: requestID(r)}
		meta.CorrelationID = meta.RequestID
		if ok {
			ctx = context.WithValue(ctx, accessKey{}, access)
			meta.User, meta.UserID = access.Username, access.UserID
		}
		next.ServeHTTP(w, r.WithContext(commands.WithMetadata(ctx, meta)))
	})
}

// requestID is the request's id: the one authenticate recorded in the command
// metadata, else the one chi's RequestID middleware gave it, else a fresh one.
func requestID(r *http.Request) string {
	if id := commands.MetadataFrom(r.Context()).RequestID; id != "" {
		return id
	}
	if id := middleware.GetReqID(r.Context()); id != "" {
		return id
	}
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return ""
}

// methodPerm is the permission InvenTree's RolePermission asks of a method: view to
// read, add to create (and to run an action: actions are POSTs), change to edit, delete
// to delete.
func methodPerm(method string) user.Perm {
	switch method {
	case http.MethodPost:
		return user.PermAdd
	case http.MethodPut, http.MethodPatch:
		return user.PermChange
	case http.MethodDelete:
		return user.PermDelete
	default: // GET, HEAD, OPTIONS
		return user.PermView
	}
}

// requireAuth refuses anonymous requests with 401.
func (s *server) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := AccessFrom(r.Context()); !ok {
			s.fail(w, r, errNotAuthenticated)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole lets through users holding perm in role: 401 when anonymous, 403 when
// the user lacks it. Endpoints get it from their Role (see endpoint), which picks the
// permission from the method; use it directly only for a route handle cannot serve.
func (s *server) requireRole(role user.Role, perm user.Perm) func(http.Handler) http.Handler {
	return s.requireRoleFor(role, func(string) user.Perm { return perm })
}

// requireRoleFor is requireRole with the permission chosen per method.
func (s *server) requireRoleFor(role user.Role, perm func(method string) user.Perm) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := checkRole(r, role, perm(r.Method)); err != nil {
				s.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// checkRole is the check behind requireRole, for a handler whose permission depends on
// the request (InvenTree checks some against a second role).
func checkRole(r *http.Request, role user.Role, perm user.Perm) error {
	a, ok := AccessFrom(r.Context())
	if !ok {
		return errNotAuthenticated
	}
	if !a.Can(role, perm) {
		return errPermissionDenied
	}
	return nil
}

// requireStaff lets through staff users only (DRF's IsAdminUser; superusers too).
func (s *server) requireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := AccessFrom(r.Context())
		if !ok {
			s.fail(w, r, errNotAuthenticated)
			return
		}
		if !isStaff(a, ok) {
			s.fail(w, r, errPermissionDenied)
			return
		}
		next.ServeHTTP(w, r)
	})
}
