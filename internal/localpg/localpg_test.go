package localpg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func connect(t *testing.T, rawURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// postmasterUID is the uid the server in dataDir runs as.
func postmasterUID(t *testing.T, data string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _, _ := strings.Cut(string(b), "\n")
	fi, err := os.Stat("/proc/" + pid)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

func TestStartKeepsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	began := time.Now()
	s := startServer(t, Config{Dir: dir, Logger: testLogger(t)})
	t.Logf("first start (initdb and start): %s", time.Since(began).Round(time.Millisecond))

	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "postgres" || u.Hostname() != "127.0.0.1" || u.User.Username() != "postgres" || u.Path != "/postgres" {
		t.Errorf("URL() = %s; want postgres://postgres:…@127.0.0.1:…/postgres", u.Redacted())
	}
	conn := connect(t, s.URL())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')"); err != nil {
		t.Fatal(err)
	}
	var listen string
	if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil || listen != "127.0.0.1" {
		t.Errorf("listen_addresses = %q, %v; want 127.0.0.1", listen, err)
	}
	if os.Geteuid() == 0 {
		if uid := postmasterUID(t, filepath.Join(dir, dataDir)); uid == 0 {
			t.Error("PostgreSQL runs as root")
		}
	}
	_ = conn.Close(ctx)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, dataDir, "postmaster.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("postmaster.pid after Stop: %v; want it gone", err)
	}

	began = time.Now()
	s = startServer(t, Config{Dir: dir, Logger: testLogger(t)})
	t.Logf("restart: %s", time.Since(began).Round(time.Millisecond))
	var note string
	if err := connect(t, s.URL()).QueryRow(ctx, "SELECT note FROM kept").Scan(&note); err != nil || note != "still here" {
		t.Fatalf("after restart, note = %q, %v; want the row written before", note, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStartRefusesAFolderInUse(t *testing.T) {
	dir := t.TempDir()
	startServer(t, Config{Dir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := Start(ctx, Config{Dir: dir})
	if err == nil {
		_ = s.Stop()
		t.Fatal("second Start on the same folder succeeded")
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Start: %v; want an error saying the folder is in use", err)
	}
}

func TestStartStopsALeftoverServer(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, Config{Dir: dir})
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	// A server whose owner died without a watchdog, started as the launcher would.
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, binDir, "pg_ctl"), "start", "-w", "-D", filepath.Join(dir, dataDir),
		"-o", fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", port)).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_ctl start: %v: %s", err, out)
	}
	s = startServer(t, Config{Dir: dir})
	if err := connect(t, s.URL()).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(s.URL()); u.Port() != strconv.Itoa(int(port)) && portInUse(port) {
		t.Errorf("the leftover server still listens on %d", port)
	}
}

// TestWatchdogStopsServerOfDeadProcess starts a server in a child process that exits
// without Stop.
func TestWatchdogStopsServerOfDeadProcess(t *testing.T) {
	if dir := os.Getenv("LOCALPG_ABANDON_DIR"); dir != "" {
		s, err := Start(context.Background(), Config{Dir: dir, Temporary: true})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(s.URL())
		os.Exit(0)
	}
	dir := filepath.Join(t.TempDir(), "abandoned")
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogStopsServerOfDeadProcess$")
	cmd.Env = append(os.Environ(), "LOCALPG_ABANDON_DIR="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	u, err := url.Parse(strings.TrimSpace(string(out)))
	if err != nil || u.Port() == "" {
		t.Fatalf("child said %q", out)
	}
	port, _ := strconv.Atoi(u.Port())
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, statErr := os.Stat(dir)
		if errors.Is(statErr, fs.ErrNotExist) && !portInUse(uint32(port)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after its process exited, the server on port %d is still there (folder: %v)", port, statErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDropCommandRunsAsAccount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	a, err := databaseAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"setpriv", "runuser", "su"} {
		t.Run(tool, func(t *testing.T) {
			if _, err := lookTool(tool); err != nil {
				t.Skip(err)
			}
			drop, err := dropCommand(a, tool)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("/bin/sh", "-c", drop+` /usr/bin/id -u "$@"`, "sh", "-r").CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v: %s", drop, err, out)
			}
			if got := strings.TrimSpace(string(out)); got != strconv.Itoa(a.uid) {
				t.Errorf("%s id -u -r = %s; want %d", drop, got, a.uid)
			}
		})
	}
}

// TestDownloadWhenNotInstalled serves the library an archive whose binaries link to
// the installed ones, as if downloaded.
func TestDownloadWhenNotInstalled(t *testing.T) {
	installed, ok := firstInstalled()
	if !ok {
		t.Skip("no installed PostgreSQL to pack")
	}
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz is needed to pack the archive")
	}
	jar := fakeJar(t, installed.dir)
	var requested []string
	repo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requested = append(requested, r.URL.Path)
		if !strings.HasSuffix(r.URL.Path, ".jar") {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(jar)
	}))
	defer repo.Close()

	dir := t.TempDir()
	s := startServer(t, Config{Dir: dir, Logger: testLogger(t),
		noInstalled: true, repositoryURL: repo.URL, cachePath: t.TempDir()})
	var one int
	if err := connect(t, s.URL()).QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	if len(requested) == 0 || !strings.Contains(requested[0], "/18.3.0/") {
		t.Errorf("requests = %v; want the library's default version, 18.3.0", requested)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgsql-18.3.0", "bin", "initdb")); err != nil {
		t.Errorf("downloaded binaries: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

func firstInstalled() (binaries, bool) {
	for _, d := range installedDirs(context.Background()) {
		if b, err := probe(context.Background(), d); err == nil {
			return b, true
		}
	}
	return binaries{}, false
}

// fakeJar is a jar like those embedded-postgres downloads, holding a .txz whose bin/
// links to binDir.
func fakeJar(t *testing.T, binDir string) []byte {
	t.Helper()
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + name,
			Linkname: filepath.Join(binDir, name), Mode: 0o777}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	xz := exec.Command("xz", "--check=crc32", "-c")
	xz.Stdin = &tarball
	txz, err := xz.Output()
	if err != nil {
		t.Fatal(err)
	}
	var jar bytes.Buffer
	zw := zip.NewWriter(&jar)
	f, err := zw.Create("postgres-linux-x86_64.txz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(txz); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return jar.Bytes()
}

func TestDownloadFailureIsReported(t *testing.T) {
	repo := httptest.NewServer(http.NotFoundHandler())
	repo.Close() // nothing listens there any more
	dir := t.TempDir()
	_, err := Start(context.Background(), Config{Dir: dir, noInstalled: true, repositoryURL: repo.URL, cachePath: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "download PostgreSQL 18.3.0") {
		t.Fatalf("Start without binaries or repository: %v; want a download error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgsql-18.3.0", "bin", "pg_ctl")); err == nil {
		t.Error("a failed download left binaries behind")
	}
}

func TestReachableOnlyFixesPrivateTempFolders(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	a, err := databaseAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	private := t.TempDir() // 0700 parent from the testing package
	dir := filepath.Join(private, "a", "b")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := reachable(dir, a); err != nil {
		t.Fatalf("reachable under a temporary folder: %v", err)
	}
	fi, err := os.Stat(filepath.Join(private, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o701 {
		t.Errorf("mode of a folder on the way = %v; want 0701 (search added, nothing else)", fi.Mode().Perm())
	}
	if _, err := os.Stat("/root"); err == nil {
		if fi, _ := os.Stat("/root"); fi.Mode().Perm()&0o001 == 0 {
			if err := reachable("/root/stockledger-test-never-created", a); err == nil {
				t.Error("reachable accepted a folder under /root")
			}
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{{"9.6.24", "15.3", true}, {"15.3", "15.20", true}, {"15.20", "16.1", true}, {"16.1", "15.20", false}} {
		if got := compareVersions(c.a, c.b) < 0; got != c.less {
			t.Errorf("compareVersions(%s, %s) < 0 = %v", c.a, c.b, got)
		}
	}
	for v, major := range map[string]string{"15.20": "15", "9.6.24": "9.6", "18.3.0": "18"} {
		if got := majorOf(v); got != major {
			t.Errorf("majorOf(%s) = %s; want %s", v, got, major)
		}
	}
}
