package postgres

import (
	"testing"

	"github.com/google/uuid"
)

func mustUUID(t testing.TB) uuid.UUID {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
