package localpg

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// binaries is a folder holding initdb, pg_ctl and postgres.
type binaries struct {
	dir     string
	version string // as postgres --version says: "15.20"
}

// major is the version as a cluster's PG_VERSION holds it: "15", or "9.6" before 10.
func (b binaries) major() string { return majorOf(b.version) }

func majorOf(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if n, err := strconv.Atoi(parts[0]); err == nil && n < 10 && len(parts) > 1 {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

// compareVersions orders "9.6.24" < "15.3" < "15.20".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(leadingDigits(as[i]))
		y, _ := strconv.Atoi(leadingDigits(bs[i]))
		if x != y {
			return x - y
		}
	}
	return len(as) - len(bs)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// findBinaries prefers an installed PostgreSQL of the cluster's version, then the
// newest installed one, and downloads one only when none is installed.
func findBinaries(ctx context.Context, cfg Config, l layout, cluster string) (binaries, error) {
	var found []binaries
	if !cfg.noInstalled {
		for _, dir := range installedDirs(ctx) {
			if b, err := probe(ctx, dir); err == nil {
				found = append(found, b)
			} else {
				cfg.Logger.Debug("skipping PostgreSQL binaries", "dir", dir, "err", err)
			}
		}
	}
	slices.SortFunc(found, func(a, b binaries) int { return compareVersions(b.version, a.version) })
	for _, b := range found {
		if b.major() == cluster {
			return b, nil
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	return download(ctx, cfg, l, cluster)
}

// installedDirs lists folders that may hold PostgreSQL's server binaries.
func installedDirs(ctx context.Context) []string {
	var dirs []string
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin", // Debian, Ubuntu
		"/usr/pgsql-*/bin",          // PGDG packages for Red Hat and friends
		"/usr/local/pgsql/bin",      // built from source
		"/opt/homebrew/opt/postgresql@*/bin",
		"/usr/local/opt/postgresql@*/bin",
	} {
		matches, _ := filepath.Glob(pattern)
		dirs = append(dirs, matches...)
	}
	seen := map[string]bool{}
	var unique []string
	for _, d := range dirs {
		real, err := filepath.EvalSymlinks(d)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		unique = append(unique, real)
	}
	return unique
}

// probe checks that dir holds a server installation and asks postgres its version
// (postgres answers --version even as root).
func probe(ctx context.Context, dir string) (binaries, error) {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return binaries{}, err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return binaries{}, fmt.Errorf("%s is not executable", filepath.Join(dir, name))
		}
	}
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return binaries{}, fmt.Errorf("%s --version: %w", filepath.Join(dir, "postgres"), err)
	}
	// "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
	_, after, ok := strings.Cut(string(out), ") ")
	fields := strings.Fields(after)
	if !ok || len(fields) == 0 || leadingDigits(fields[0]) == "" {
		return binaries{}, fmt.Errorf("%s --version said %q", filepath.Join(dir, "postgres"), out)
	}
	return binaries{dir: dir, version: fields[0]}, nil
}

// downloadable are the versions embedded-postgres can download, newest (its default)
// first.
var downloadable = []embeddedpostgres.PostgresVersion{
	embeddedpostgres.V18, embeddedpostgres.V17, embeddedpostgres.V16, embeddedpostgres.V15,
	embeddedpostgres.V14, embeddedpostgres.V13, embeddedpostgres.V12,
}

// download has embedded-postgres download and unpack PostgreSQL into Dir/pgsql-<version>,
// the cluster's version if it can, else its default; it keeps it for later starts.
func download(ctx context.Context, cfg Config, l layout, cluster string) (binaries, error) {
	version := downloadable[0]
	for _, v := range downloadable {
		if majorOf(string(v)) == cluster {
			version = v
		}
	}
	root := l.path("pgsql-" + string(version))
	if _, err := os.Stat(filepath.Join(root, "bin", "pg_ctl")); err != nil {
		if err := ctx.Err(); err != nil {
			return binaries{}, err
		}
		cfg.Logger.Info("PostgreSQL is not installed; downloading it", "version", version, "into", root)
		if err := fetch(cfg, version, root); err != nil {
			return binaries{}, fmt.Errorf("download PostgreSQL %s: %w", version, err)
		}
	}
	return probe(ctx, filepath.Join(root, "bin"))
}

// fetch makes the library download and unpack version into root, and stop there.
//
// The library offers no download on its own: its Start downloads, then runs initdb and
// pg_ctl, which as root must go through the launchers, which need the binaries first.
// So fetch starts it on a throwaway folder whose data folder is marked as a cluster but
// is empty: the library skips initdb and pg_ctl fails at once, as root or not, after
// the binaries are in place.
func fetch(cfg Config, version embeddedpostgres.PostgresVersion, root string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(root), "fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(data, "PG_VERSION"), []byte(majorOf(string(version))+"\n"), 0o600); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	c := embeddedpostgres.DefaultConfig().
		Version(version).
		BinariesPath(root).
		RuntimePath(filepath.Join(tmp, "run")).
		DataPath(data).
		Port(port).
		StartTimeout(time.Second).
		Logger(io.Discard)
	if cfg.cachePath != "" {
		c = c.CachePath(cfg.cachePath)
	}
	if cfg.repositoryURL != "" {
		c = c.BinaryRepositoryURL(cfg.repositoryURL)
	}
	ep := embeddedpostgres.NewDatabase(c)
	epLog, startErr := startLibrary(ep)
	if startErr == nil {
		_ = ep.Stop()
	}
	removeLibraryLog(epLog)
	if _, err := os.Stat(filepath.Join(root, "bin", "pg_ctl")); err != nil {
		if startErr != nil {
			return startErr
		}
		return err
	}
	return nil
}
