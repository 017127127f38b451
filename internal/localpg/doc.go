// Package localpg runs a private PostgreSQL server in a folder of its own, for
// `stockledger serve` and the tests when no database URL is given.
//
// embedded-postgres (github.com/fergusstrange/embedded-postgres) is the one way the
// server is started, so that download, initdb, start, health check and stop follow a
// single, widely used path instead of one of ours per case. It is pointed at the
// installed PostgreSQL when there is one, so nothing is downloaded; only a machine
// without PostgreSQL downloads the library's default version, once per folder.
//
// PostgreSQL refuses to run as root, these machines run as root, and the library has no
// setting for it. Dropping privileges inside the Go process is no answer: setuid changes
// every thread of the process for good, and re-executing the binary as a helper would
// add a second entry point to `stockledger` and to every test binary. So the library's
// BinariesPath is a folder of launcher scripts, Dir/bin. The library runs only
// bin/initdb and bin/pg_ctl from there (v1.34.0: its health check connects over TCP, and
// it runs no createdb for the database postgres), and each launcher execs the real
// binary through setpriv, runuser or su as an unprivileged account: the `postgres`
// system user when it exists, else `nobody`, else one created with useradd. The real
// binaries find postgres, lib and share next to themselves, so no copy of the
// installation is needed, and the postmaster forked by pg_ctl inherits the account.
// Without root the launchers exec the binaries directly, so both cases share one path;
// either way they send the server's output to Dir/postgres.log rather than to the
// library's temporary file.
//
// As root the account must be able to reach Dir. Start gives the account's group search
// permission on Dir and the account the cluster and the log, but keeps Dir and the
// launchers root's: an account that could rewrite them would run code as root at the
// next start. A folder above Dir that the account cannot pass is only changed when it is
// a temporary folder this user owns (as `go test`'s t.TempDir makes), and then only by
// adding search permission; anything else, such as a home folder, is an error, which is
// why DefaultDir is not under /root.
//
// The cluster in Dir/data is kept across starts. The library would delete a cluster
// whose version differs from the binaries', so Start refuses that case instead, and it
// prefers the installed version that matches an existing cluster. A lock on Dir keeps a
// second process out; a watchdog process stops the server (and removes a Temporary Dir)
// if the process that started it exits without calling Stop, so that a crashed test
// binary or server does not leave a postmaster behind.
package localpg
