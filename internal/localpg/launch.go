package localpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// createdAccount is the account made when neither postgres nor nobody exists.
const createdAccount = "stockledger-pg"

// account is the unprivileged account PostgreSQL runs as when this process is root.
type account struct {
	name     string
	uid, gid int
}

// databaseAccount is the postgres system user, else nobody, else one it creates.
func databaseAccount(ctx context.Context) (account, error) {
	for _, name := range []string{"postgres", "nobody"} {
		if a, err := lookupAccount(name); err == nil {
			return a, nil
		}
	}
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", createdAccount).CombinedOutput()
	if err != nil {
		return account{}, fmt.Errorf("create account %s to run PostgreSQL, which refuses root: %w: %s", createdAccount, err, strings.TrimSpace(string(out)))
	}
	return lookupAccount(createdAccount)
}

func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, err
	}
	if uid == 0 {
		return account{}, fmt.Errorf("account %s is root", name)
	}
	return account{name: name, uid: uid, gid: gid}, nil
}

// dropCommand is a shell command prefix that runs the command after it as a. setpriv
// comes first: it changes ids and nothing else (no PAM session, no login shell).
func dropCommand(a account, tools ...string) (string, error) {
	if len(tools) == 0 {
		tools = []string{"setpriv", "runuser", "su"}
	}
	for _, tool := range tools {
		p, err := lookTool(tool)
		if err != nil {
			continue
		}
		switch tool {
		case "setpriv":
			return fmt.Sprintf("%s --reuid=%d --regid=%d --clear-groups --", shellQuote(p), a.uid, a.gid), nil
		case "runuser":
			return fmt.Sprintf("%s -u %s --", shellQuote(p), shellQuote(a.name)), nil
		case "su":
			return fmt.Sprintf(`%s -s /bin/sh -c 'exec "$0" "$@"' -- %s`, shellQuote(p), shellQuote(a.name)), nil
		}
	}
	return "", fmt.Errorf("none of %s is installed; one is needed to run PostgreSQL, which refuses root, as %s",
		strings.Join(tools, ", "), a.name)
}

// lookTool finds a tool also in the sbin folders a non-login PATH may lack.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// prepareForAccount lets the account reach Dir and own what the server writes, while
// root keeps Dir and the launchers: the account must not be able to change what root
// runs.
func prepareForAccount(l layout, a account) error {
	dir := string(l)
	if err := reachable(dir, a); err != nil {
		return err
	}
	if err := os.Chown(dir, 0, a.gid); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o710); err != nil {
		return err
	}
	// A cluster made by another account, or by a run without root, changes hands.
	return chownTree(l.path(dataDir), a)
}

// reachable checks that a can pass every folder above dir. A private temporary folder
// of this user, like the one t.TempDir makes, gets search permission for others; any
// other folder is the caller's to fix.
func reachable(dir string, a account) error {
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		tmp = filepath.Clean(os.TempDir())
	}
	var above []string
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		above = append(above, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(above) - 1; i >= 0; i-- {
		p := above[i]
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) == a.uid {
			return fmt.Errorf("%s is owned by %s, which PostgreSQL runs as; root runs launchers from %s, so the account must not control a folder above it",
				p, a.name, dir)
		}
		if searchable(st, a) {
			continue
		}
		if inside(p, tmp) && int(st.Uid) == os.Geteuid() {
			if err := os.Chmod(p, fi.Mode().Perm()|0o001); err != nil {
				return err
			}
			continue
		}
		return fmt.Errorf("%s cannot pass %s to reach %s; PostgreSQL refuses root and runs as %s, so choose a folder it can reach (see DefaultDir)",
			a.name, p, dir, a.name)
	}
	return nil
}

func searchable(st *syscall.Stat_t, a account) bool {
	switch {
	case int(st.Uid) == a.uid:
		return st.Mode&0o100 != 0
	case int(st.Gid) == a.gid:
		return st.Mode&0o010 != 0
	default:
		return st.Mode&0o001 != 0
	}
}

// inside reports whether p is strictly below dir.
func inside(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// chownTree gives root and everything below it to a, unless root is a's already.
func chownTree(root string, a account) error {
	fi, err := os.Lstat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) == a.uid && int(st.Gid) == a.gid {
		return nil
	}
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, a.uid, a.gid)
	})
}

// writeLaunchers writes Dir/bin/initdb and Dir/bin/pg_ctl, the two programs
// embedded-postgres runs. They exec the real binaries, as the account when acct is
// set, and send the server's output to Dir/postgres.log. They are rewritten on every
// start, so they follow the binaries and the account in use.
func writeLaunchers(l layout, bins binaries, acct *account) error {
	dir := l.path(binDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	drop, prepareInitdb := "", ""
	if acct != nil {
		var err error
		if drop, err = dropCommand(*acct); err != nil {
			return err
		}
		// initdb, run as the account, must create the data folder in root's Dir and read
		// the password file the library wrote.
		owner := fmt.Sprintf("%d:%d", acct.uid, acct.gid)
		data, pwfile := shellQuote(l.path(dataDir)), shellQuote(l.path(runDir, "pwfile"))
		prepareInitdb = fmt.Sprintf("mkdir -p -m 0700 %s\nchown %s %s\n[ ! -e %s ] || chown %s %s\n",
			data, owner, data, pwfile, owner, pwfile)
	}
	header := "#!/bin/sh\n# Written by localpg at every start; see its package documentation.\nset -e\ncd /\n"
	scripts := map[string]string{
		"initdb": header + prepareInitdb +
			fmt.Sprintf("exec %s %s \"$@\"\n", drop, shellQuote(filepath.Join(bins.dir, "initdb"))),
		"pg_ctl": header +
			fmt.Sprintf("if [ \"$1\" = start ]; then set -- \"$@\" -l %s; fi\n", shellQuote(l.path(logFile))) +
			fmt.Sprintf("exec %s %s \"$@\"\n", drop, shellQuote(filepath.Join(bins.dir, "pg_ctl"))),
	}
	for name, script := range scripts {
		p := filepath.Join(dir, name)
		tmp := p + ".new"
		if err := os.WriteFile(tmp, []byte(script), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}

// startWatchdog starts a process that stops the server if this process exits without
// Stop saying so: its standard input is a pipe from this process, which reaches end of
// file when this process dies. It holds the lock on Dir until it is done, and runs in
// a session of its own, out of reach of a terminal's ^C. It also removes epLog, the
// library's temporary file, which Stop would have removed.
func startWatchdog(l layout, temporary bool, lock *os.File, epLog string) (*exec.Cmd, io.WriteCloser, error) {
	script := fmt.Sprintf("read -r said || true\n[ \"$said\" = stopped ] && exit 0\n%s stop -w -m fast -D %s >/dev/null 2>&1 || true\n",
		shellQuote(l.path(binDir, "pg_ctl")), shellQuote(l.path(dataDir)))
	if epLog != "" {
		script += fmt.Sprintf("rm -f %s\n", shellQuote(epLog))
	}
	if temporary {
		script += fmt.Sprintf("rm -rf %s\n", shellQuote(string(l)))
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{lock}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start watchdog: %w", err)
	}
	return cmd, w, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
