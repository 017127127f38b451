package esdb

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/eventstore/storetest"
)

// TestContract holds the driver to the contract every store passes, against a real server:
// EventStoreDB cannot run on every machine, so the test runs only when EVENTSTORE_URL names
// one (see docker-compose). The suite's categories are unique per run, so a server shared
// with earlier runs is fine.
func TestContract(t *testing.T) {
	url := os.Getenv("EVENTSTORE_URL")
	if url == "" {
		t.Skip("EVENTSTORE_URL is not set; start EventStoreDB (docker compose up eventstore) and set EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false to run the contract against it")
	}
	storetest.Run(t, storetest.Features{AtomicMultiStream: false, UniqueEventIDs: false}, func(t *testing.T) eventstore.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := New(ctx, Config{URL: url})
		if err != nil {
			t.Fatalf("EVENTSTORE_URL: %v", err) // not the URL itself: it may hold a password
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	})
}
