package sequence

import (
	"context"
	"sync"
	"testing"

	"github.com/stockledger/stockledger/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNextIsUniquePerCategory(t *testing.T) {
	s := New(pgtest.NewPool(t))
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := s.Next(ctx, "stockitem")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[id] {
				t.Errorf("key %d handed out twice", id)
			}
			seen[id] = true
		}()
	}
	wg.Wait()
	if id, err := s.Next(ctx, "part"); err != nil || id != 1 {
		t.Fatalf("first part key = %d, %v; want 1", id, err)
	}
	if _, err := s.Next(ctx, "bad; DROP TABLE x"); err == nil {
		t.Fatal("an invalid category was accepted")
	}
}
