package api

import (
	"context"
	"net/http"

	"github.com/stockledger/stockledger/commands"
)

// crud is the create / update / delete pattern of a model endpoint, as DRF's generic
// views run it: a detail write finds the object first (404 whatever the body says),
// reads the body into P (400 listing every bad field), runs one command, waits for
// the read model and answers with the read model's representation (201 on create, 204
// on delete). The areas give the parts that differ; the handlers below run them.
type crud[P any] struct {
	// projection is the read model the answers are read from.
	projection string
	// exists answers 404 (a *domain.NotFoundError) for an object that is not there.
	exists func(ctx context.Context, pk int64) error
	// read reads the body's fields.
	read func(b *body) P
	// check runs what can only be checked once the body is read; optional.
	check  func(ctx context.Context, p P) error
	create func(ctx context.Context, p P) (int64, commands.Result, error)
	update func(ctx context.Context, pk int64, p P) (commands.Result, error)
	remove func(ctx context.Context, pk int64) (commands.Result, error)
	// write answers with object pk.
	write func(w http.ResponseWriter, r *http.Request, status int, pk int64) error
}

func (c crud[P]) readBody(s *server, r *http.Request) (P, error) {
	var zero P
	b, err := s.decodeBody(r)
	if err != nil {
		return zero, err
	}
	p := c.read(b)
	if err := b.err(); err != nil {
		return zero, err
	}
	if c.check != nil {
		if err := c.check(r.Context(), p); err != nil {
			return zero, err
		}
	}
	return p, nil
}

// createHandler is POST on the list URL.
func createHandler[P any](s *server, c crud[P]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := c.readBody(s, r)
		if err != nil {
			return err
		}
		pk, res, err := c.create(r.Context(), p)
		if err != nil {
			return err
		}
		if err := s.awaitProjections(r.Context(), res, c.projection); err != nil {
			return err
		}
		return c.write(w, r, http.StatusCreated, pk)
	}
}

// getHandler is GET on the detail URL.
func getHandler[P any](c crud[P]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pk, err := pathPK(r, "id")
		if err != nil {
			return err
		}
		return c.write(w, r, http.StatusOK, pk)
	}
}

// updateHandler is PUT and PATCH on the detail URL.
func updateHandler[P any](s *server, c crud[P]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pk, err := pathPK(r, "id")
		if err != nil {
			return err
		}
		if err := c.exists(r.Context(), pk); err != nil {
			return err
		}
		p, err := c.readBody(s, r)
		if err != nil {
			return err
		}
		res, err := c.update(r.Context(), pk, p)
		if err != nil {
			return err
		}
		if err := s.awaitProjections(r.Context(), res, c.projection); err != nil {
			return err
		}
		return c.write(w, r, http.StatusOK, pk)
	}
}

// deleteHandler is DELETE on the detail URL.
func deleteHandler[P any](s *server, c crud[P]) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pk, err := pathPK(r, "id")
		if err != nil {
			return err
		}
		if err := c.exists(r.Context(), pk); err != nil {
			return err
		}
		res, err := c.remove(r.Context(), pk)
		if err != nil {
			return err
		}
		if err := s.awaitProjections(r.Context(), res, c.projection); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	}
}

// ignore discards a read model answer, keeping its error: an exists check.
func ignore[T any](_ T, err error) error { return err }
