package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/server"
)

// userCmd is `stockledger user`: account administration from the command line.
func userCmd(cfg *server.Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage user accounts",
	}
	cmd.AddCommand(userCreateCmd(cfg))
	return cmd
}

func userCreateCmd(cfg *server.Config) *cobra.Command {
	var (
		c             commands.CreateUser
		password      string
		passwordStdin bool
		noPassword    bool
	)
	cmd := &cobra.Command{
		Use:   "create --username NAME [--email ADDRESS] [--password PW | --password-stdin | --no-password] [--superuser] [--staff]",
		Short: "Create a user account",
		Long: "Create a user account. Without --password, --password-stdin or --no-password the password is\n" +
			"asked for on the terminal (or read from the first line of a piped stdin). --superuser implies --staff.\n" +
			"The account is in the log at once; a running server shows it as soon as its projections catch up.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			set := 0
			for _, on := range []bool{cmd.Flags().Changed("password"), passwordStdin, noPassword} {
				if on {
					set++
				}
			}
			if set > 1 {
				return errors.New("give at most one of --password, --password-stdin and --no-password")
			}
			switch {
			case cmd.Flags().Changed("password"):
				c.Password = password
			case noPassword:
			case passwordStdin:
				pw, err := readLine(ctx, os.Stdin)
				if err != nil {
					return fmt.Errorf("read password: %w", err)
				}
				c.Password = pw
			default:
				pw, err := promptPassword(ctx, os.Stdin, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				c.Password = pw
			}
			if !noPassword && c.Password == "" {
				return errors.New("the password is empty (use --no-password for an account without one)")
			}
			c.Staff = c.Staff || c.Superuser

			app, err := server.Open(ctx, *cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			h := app.Users
			ctx = commands.WithMetadata(ctx, eventstore.Metadata{RequestID: "cli:user-create"})
			id, _, err := h.CreateUser(ctx, c)
			var re *domain.RuleError
			if errors.As(err, &re) {
				return fmt.Errorf("user not created: %w", re)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %q (pk %d)\n", user.NormalizeUsername(c.Username), id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Username, "username", "", "username (required)")
	f.StringVar(&c.Email, "email", "", "email address")
	f.StringVar(&c.FirstName, "first-name", "", "first name")
	f.StringVar(&c.LastName, "last-name", "", "last name")
	f.StringVar(&password, "password", "", "password (visible in the process list: prefer the prompt or --password-stdin)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	f.BoolVar(&noPassword, "no-password", false, "create the account without a usable password")
	f.BoolVar(&c.Superuser, "superuser", false, "make the user a superuser (and staff)")
	f.BoolVar(&c.Staff, "staff", false, "make the user staff")
	f.BoolVar(&c.OverridePasswordRules, "override-password-rules", false, "accept a short or numeric password")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

// ensureAdminFromEnv creates the first superuser from INVENTREE_ADMIN_USER,
// INVENTREE_ADMIN_PASSWORD and INVENTREE_ADMIN_EMAIL, as InvenTree does at start: none
// set, nothing happens; some but not all, a warning; all three, the account is created
// unless the username exists (an existing account is left as it is).
func ensureAdminFromEnv(ctx context.Context, h *commands.UserHandlers, getenv func(string) string, logger *slog.Logger) error {
	username, password, email := getenv("INVENTREE_ADMIN_USER"), getenv("INVENTREE_ADMIN_PASSWORD"), getenv("INVENTREE_ADMIN_EMAIL")
	set := 0
	for _, v := range []string{username, password, email} {
		if v != "" {
			set++
		}
	}
	switch set {
	case 0:
		return nil
	case 1, 2:
		logger.Warn("not all of INVENTREE_ADMIN_USER, INVENTREE_ADMIN_PASSWORD and INVENTREE_ADMIN_EMAIL are set: no admin user created")
		return nil
	}
	ctx = commands.WithMetadata(ctx, eventstore.Metadata{RequestID: "serve:ensure-admin"})
	created, err := h.EnsureAdmin(ctx, username, password, email)
	if err != nil {
		return err
	}
	if created {
		logger.Info("admin user created", "username", username)
	} else {
		logger.Info("admin user exists; left as it is", "username", username)
	}
	return nil
}

// promptPassword asks for a password twice with the terminal's echo off. Off a terminal
// it reads the first line of in.
func promptPassword(ctx context.Context, in *os.File, out io.Writer) (string, error) {
	if !isTerminal(in) {
		return readLine(ctx, in)
	}
	// Without golang.org/x/term, stty turns the echo off (POSIX systems).
	if err := stty(in, "-echo"); err != nil {
		return "", fmt.Errorf("cannot hide the password on this terminal (%v): use --password-stdin", err)
	}
	defer func() {
		_ = stty(in, "echo")
		fmt.Fprintln(out)
	}()
	fmt.Fprint(out, "Password: ")
	first, err := readLine(ctx, in)
	if err != nil {
		return "", err
	}
	fmt.Fprint(out, "\nPassword (again): ")
	second, err := readLine(ctx, in)
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the passwords differ")
	}
	return first, nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func stty(in *os.File, arg string) error {
	c := exec.Command("stty", arg)
	c.Stdin = in
	return c.Run()
}

// readLine reads one line of in without its line ending. An interrupt (ctx done) ends
// the wait; the reading goroutine then ends when the process does.
func readLine(ctx context.Context, in io.Reader) (string, error) {
	type line struct {
		s   string
		err error
	}
	got := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(in).ReadString('\n')
		if errors.Is(err, io.EOF) && s != "" {
			err = nil
		}
		got <- line{strings.TrimRight(s, "\r\n"), err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case l := <-got:
		return l.s, l.err
	}
}
