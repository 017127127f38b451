package main

import (
	"testing"

	"github.com/stockledger/stockledger/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
