package localpg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// The folder of a server. Only Start and Stop touch it.
const (
	binDir       = "bin"          // launchers: BinariesPath/bin for the library
	dataDir      = "data"         // the cluster
	runDir       = "run"          // the library's RuntimePath, emptied on every start
	logFile      = "postgres.log" // the server's output
	passwordFile = "password"     // the superuser's password, made with the cluster
	lockFile     = "lock"         // held while a process uses the folder
)

const (
	superuser    = "postgres"
	startTimeout = 60 * time.Second
	lockWait     = 10 * time.Second
	maxLogSize   = 10 << 20 // bytes; a bigger log is moved aside at start
	portAttempts = 3        // for a picked port taken by someone else before postgres binds it
)

// Config configures Start.
type Config struct {
	// Dir is the server's folder: required, created if absent. A cluster it already holds
	// is reused, so data outlives restarts.
	Dir string
	// Port is the TCP port on 127.0.0.1. Optional: 0 picks a free port on every start.
	Port uint32
	// Settings are extra server settings, postgresql.conf names to values, such as
	// {"fsync": "off"} for a throwaway server. Optional. listen_addresses and
	// unix_socket_directories are Start's.
	Settings map[string]string
	// Temporary removes Dir when the server stops, and also when this process exits
	// without calling Stop. Optional; for tests.
	Temporary bool
	// Logger receives progress, and the output of initdb and pg_ctl at debug level; the
	// server's own log is Dir/postgres.log. Optional.
	Logger *slog.Logger

	// Test hooks: act as if PostgreSQL were not installed, and download from here.
	noInstalled   bool
	repositoryURL string
	cachePath     string
}

var settingName = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem of the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("Dir is required"))
	}
	for k, v := range c.Settings {
		switch {
		case !settingName.MatchString(k):
			errs = append(errs, fmt.Errorf("setting %q: not a setting name", k))
		case k == "listen_addresses" || k == "unix_socket_directories":
			errs = append(errs, fmt.Errorf("setting %q: set by localpg", k))
		case strings.ContainsAny(v, "\"\\$`\n"):
			// pg_ctl hands the settings to the server through a shell.
			errs = append(errs, fmt.Errorf("setting %q: value must not contain \", \\, $, ` or a newline", k))
		}
	}
	return errors.Join(errs...)
}

// Server is a running PostgreSQL started by Start.
type Server struct {
	url       string
	dir       string
	temporary bool
	ep        *embeddedpostgres.EmbeddedPostgres
	epLog     string // the library's temporary log file
	lock      *os.File
	watchdog  *exec.Cmd
	toWatch   io.WriteCloser

	stopOnce sync.Once
	stopErr  error
}

// URL is a postgres:// URL for the superuser postgres on database postgres.
func (s *Server) URL() string { return s.url }

// Stop stops the server (fast shutdown: open sessions are disconnected) and releases
// Dir; a Temporary Dir is removed. Calling it again returns the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if err := s.ep.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop PostgreSQL in %s: %w", s.dir, err))
		} else {
			// Anything else, such as closing the pipe, makes the watchdog stop the server.
			_, _ = io.WriteString(s.toWatch, "stopped\n")
		}
		_ = s.toWatch.Close()
		removeLibraryLog(s.epLog)
		if err := s.watchdog.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("watchdog of %s: %w", s.dir, err))
		}
		if s.temporary {
			if err := os.RemoveAll(s.dir); err != nil {
				errs = append(errs, err)
			}
		}
		_ = s.lock.Close()
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// DefaultDir is the folder for a server when none is configured:
// /var/lib/stockledger/postgres as root (the database account could not reach a folder
// under /root), else $XDG_STATE_HOME/stockledger/postgres, by default under
// ~/.local/state, or stockledger-postgres in the working folder when there is no home.
func DefaultDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/stockledger/postgres"
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "stockledger", "postgres")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "stockledger", "postgres")
	}
	return "stockledger-postgres"
}

// Start starts PostgreSQL in cfg.Dir, creating the cluster on first use, and returns
// once it accepts connections on 127.0.0.1. It uses installed binaries, else downloads
// them (once per Dir). The start proper gives up after 60 s; the library cannot be
// interrupted, so ctx is checked between steps and bounds that time further.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	began := time.Now()
	// Folders above Dir are created passable: as root, the account PostgreSQL runs
	// under must get through them.
	if err := os.MkdirAll(filepath.Dir(cfg.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	if err := os.Mkdir(cfg.Dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	lock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	s, err := start(ctx, cfg, layout(dir), lock)
	if err != nil {
		if cfg.Temporary {
			_ = os.RemoveAll(dir)
		}
		_ = lock.Close()
		return nil, fmt.Errorf("localpg: %w", err)
	}
	cfg.Logger.Info("PostgreSQL started", "dir", dir, "url", redacted(s.url), "took", time.Since(began).Round(time.Millisecond))
	return s, nil
}

func start(ctx context.Context, cfg Config, l layout, lock *os.File) (*Server, error) {
	log := cfg.Logger
	cluster := l.clusterVersion()
	bins, err := findBinaries(ctx, cfg, l, cluster)
	if err != nil {
		return nil, err
	}
	if cluster != "" && cluster != bins.major() {
		// The library would delete the cluster and make a new one.
		return nil, fmt.Errorf("the cluster in %s is PostgreSQL %s but the binaries in %s are %s; upgrade it with pg_upgrade, or remove it",
			l.path(dataDir), cluster, bins.dir, bins.version)
	}
	log.Debug("PostgreSQL binaries", "dir", bins.dir, "version", bins.version)

	var acct *account
	if os.Geteuid() == 0 {
		a, err := databaseAccount(ctx)
		if err != nil {
			return nil, err
		}
		acct = &a
		log.Debug("running PostgreSQL as another account, as it refuses root", "account", a.name)
		if err := prepareForAccount(l, a); err != nil {
			return nil, err
		}
	}
	if err := writeLaunchers(l, bins, acct); err != nil {
		return nil, err
	}
	password, err := clusterPassword(l, cluster != "")
	if err != nil {
		return nil, err
	}
	if err := openLog(l, acct); err != nil {
		return nil, err
	}
	if err := stopLeftover(ctx, l, log); err != nil {
		return nil, err
	}

	settings := map[string]string{}
	for k, v := range cfg.Settings {
		settings[k] = v
	}
	settings["listen_addresses"] = "127.0.0.1"
	settings["unix_socket_directories"] = "" // TCP only: no socket folder to own or clash in

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var ep *embeddedpostgres.EmbeddedPostgres
	var epLog string
	var port uint32
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		deadline, _ := ctx.Deadline()
		port = cfg.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		ep = embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
			Version(embeddedpostgres.PostgresVersion(bins.version)).
			BinariesPath(string(l)). // the launchers in Dir/bin: nothing is downloaded
			RuntimePath(l.path(runDir)).
			DataPath(l.path(dataDir)).
			Port(port).
			Username(superuser).
			Password(password).
			Database("postgres").
			Locale("C"). // the same sorting and character classes on every machine
			Encoding("UTF8").
			StartParameters(settings).
			StartTimeout(time.Until(deadline)).
			Logger(&lineWriter{log: log}))
		epLog, err = startLibrary(ep)
		if err == nil {
			break
		}
		removeLibraryLog(epLog)
		if cfg.Port != 0 || attempt == portAttempts || !portInUse(port) {
			return nil, fmt.Errorf("start PostgreSQL in %s: %w%s", l, err, l.logTail())
		}
		log.Debug("picked port was taken meanwhile; trying another", "port", port)
	}

	watchdog, toWatch, err := startWatchdog(l, cfg.Temporary, lock, epLog)
	if err != nil {
		_ = ep.Stop()
		removeLibraryLog(epLog)
		return nil, err
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.FormatUint(uint64(port), 10)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return &Server{
		url:       u.String(),
		dir:       string(l),
		temporary: cfg.Temporary,
		ep:        ep,
		epLog:     epLog,
		lock:      lock,
		watchdog:  watchdog,
		toWatch:   toWatch,
	}, nil
}

// layout is Dir, absolute and without symlinks.
type layout string

func (l layout) path(elem ...string) string {
	return filepath.Join(append([]string{string(l)}, elem...)...)
}

// clusterVersion is the major version of the cluster in Dir, or "" when there is none.
func (l layout) clusterVersion() string {
	b, err := os.ReadFile(l.path(dataDir, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// logTail is the end of the server log, to explain a failed start.
func (l layout) logTail() string {
	b, err := os.ReadFile(l.path(logFile))
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\n" + l.path(logFile) + " ends with:\n" + strings.Join(lines, "\n")
}

// lockDir takes an exclusive lock on Dir, waiting a little for a watchdog that is
// still stopping the server of a process that died.
func lockDir(ctx context.Context, dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("%s is in use by another process", dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// clusterPassword is the superuser's password, made before the cluster is.
func clusterPassword(l layout, haveCluster bool) (string, error) {
	p := l.path(passwordFile)
	b, err := os.ReadFile(p)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if haveCluster {
		return "", fmt.Errorf("the cluster in %s has lost its password file %s", l.path(dataDir), p)
	}
	// A password rather than trust: any local user can reach 127.0.0.1.
	raw := make([]byte, 18)
	_, _ = rand.Read(raw)
	password := hex.EncodeToString(raw)
	if err := os.WriteFile(p, []byte(password+"\n"), 0o600); err != nil {
		return "", err
	}
	return password, nil
}

// openLog makes sure the server can append to its log, moving a big one aside.
func openLog(l layout, acct *account) error {
	p := l.path(logFile)
	if fi, err := os.Stat(p); err == nil && fi.Size() > maxLogSize {
		if err := os.Rename(p, p+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if acct != nil {
		return os.Chown(p, acct.uid, acct.gid)
	}
	return nil
}

// stopLeftover stops a server that a process which died left running in Dir; holding
// the lock, no live process owns it.
func stopLeftover(ctx context.Context, l layout, log *slog.Logger) error {
	if _, err := os.Stat(l.path(dataDir, "postmaster.pid")); err != nil {
		return nil
	}
	pgCtl := l.path(binDir, "pg_ctl")
	if exec.CommandContext(ctx, pgCtl, "status", "-D", l.path(dataDir)).Run() != nil {
		return nil // not running: postgres clears a stale pid file itself
	}
	log.Warn("stopping a PostgreSQL left running in the folder", "dir", string(l))
	out, err := exec.CommandContext(ctx, pgCtl, "stop", "-w", "-m", "fast", "-D", l.path(dataDir)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("stop the PostgreSQL left running in %s: %w: %s", l, err, bytes.TrimSpace(out))
	}
	return nil
}

func freePort() (uint32, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port: %w", err)
	}
	defer ln.Close()
	return uint32(ln.Addr().(*net.TCPAddr).Port), nil
}

func portInUse(port uint32) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.FormatUint(uint64(port), 10)))
	if err != nil {
		return true
	}
	_ = ln.Close()
	return false
}

func redacted(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Redacted()
}

// startMu makes one library start at a time, so that startLibrary can tell which
// temporary file the start opened.
var startMu sync.Mutex

// startLibrary starts ep and returns the temporary log file the library opened for it.
// The library neither closes nor removes that file; the caller removes it once ep is
// stopped or has failed, so that each start does not leave one in the temporary folder.
func startLibrary(ep *embeddedpostgres.EmbeddedPostgres) (string, error) {
	startMu.Lock()
	defer startMu.Unlock()
	before := libraryLogs()
	err := ep.Start()
	for p := range libraryLogs() {
		if !before[p] {
			return p, err
		}
	}
	return "", err
}

// libraryLogs are the library's temporary log files this process has open, found in
// /proc (Linux); elsewhere none are found and the files stay.
func libraryLogs() map[string]bool {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	logs := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(filepath.Base(target), "embedded_postgres_log") {
			logs[target] = true
		}
	}
	return logs
}

func removeLibraryLog(p string) {
	if p != "" {
		_ = os.Remove(p)
	}
}

// lineWriter hands the library's output (initdb's and pg_ctl's) to the logger line by
// line.
type lineWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimSpace(string(w.buf[:i])); line != "" {
			w.log.Debug("postgres", "output", line)
		}
		w.buf = w.buf[i+1:]
	}
}
