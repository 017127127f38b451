package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInvenTreePythonClient drives the server with the unmodified InvenTree Python
// client (tests/inventree_python/check.py). The client is not vendored: point
// INVENTREE_PYTHON_SRC at a checkout of github.com/inventree/inventree-python (a work
// tree, or a bare git directory whose HEAD is read with git archive). It needs python3
// with the requests package.
func TestInvenTreePythonClient(t *testing.T) {
	src := os.Getenv("INVENTREE_PYTHON_SRC")
	if src == "" {
		t.Skip("INVENTREE_PYTHON_SRC is not set: no InvenTree Python client to drive the server with")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	pkgDir := clientPackage(t, src)

	s := StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "inventree_python/check.py", s.URL, s.Admin.Username, s.Admin.Password)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pkgDir)
	out, err := cmd.CombinedOutput()
	t.Logf("inventree-python against Stockledger:\n%s", out)
	if err != nil {
		t.Fatalf("check.py: %v (each FAIL line above is a step that did not work)", err)
	}
}

// clientPackage returns a folder holding the client's `inventree` package.
func clientPackage(t *testing.T, src string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(src, "inventree", "api.py")); err == nil {
		return src
	}
	dir := t.TempDir()
	archive := exec.Command("git", "--git-dir", src, "archive", "HEAD", "inventree")
	extract := exec.Command("tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	extract.Stdin = pipe
	var stderr strings.Builder
	archive.Stderr, extract.Stderr = &stderr, &stderr
	if err := extract.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive from %s: %v: %s", src, err, stderr.String())
	}
	if err := extract.Wait(); err != nil {
		t.Fatalf("extract client: %v: %s", err, stderr.String())
	}
	return dir
}
