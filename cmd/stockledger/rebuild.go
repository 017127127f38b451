package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stockledger/stockledger/internal/server"
	"github.com/stockledger/stockledger/projections"
)

func rebuildCmd(cfg *server.Config) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "rebuild <projection>|--all",
		Short: "Rebuild read models from the start of the log and swap them in while the server serves",
		Long: `rebuild replays the whole log into a fresh copy of a read model, in a schema of
its own, while the server keeps serving the live one; then it applies what arrived
meanwhile and swaps the copy in, in one transaction. Stopped before the swap, it resumes
where it stopped the next time it is run.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) || len(args) > 1 {
				return errors.New("name one projection, or --all")
			}
			app, err := server.Open(cmd.Context(), *cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			names, err := projectionNames(cmd, app, args)
			if err != nil {
				return err
			}
			for _, name := range names {
				p := newProgress(cmd.ErrOrStderr(), "rebuild "+name)
				err := app.Runner.Rebuild(cmd.Context(), name, p.report)
				p.finish()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: rebuilt and swapped in, %s\n", name, p.summary())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "rebuild every projection")
	return cmd
}

func verifyCmd(cfg *server.Config) *cobra.Command {
	return &cobra.Command{
		Use:   "verify [projection...]",
		Short: "Rebuild read models into a scratch schema and compare them row by row with the live ones",
		Long: `verify replays the log into a scratch copy of each read model (every one when none
is named) up to the position the live one has reached, compares the two row by row and
prints the rows that differ. It exits non-zero when any does. The live read models and
the server carry on meanwhile.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			app, err := server.Open(cmd.Context(), *cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			names, err := projectionNames(cmd, app, args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var differ int64
			for _, name := range names {
				p := newProgress(cmd.ErrOrStderr(), "verify "+name)
				v, err := app.Runner.Verify(cmd.Context(), name, p.report)
				p.finish()
				if err != nil {
					return err
				}
				printVerification(out, v)
				differ += v.Count
			}
			if differ > 0 {
				return fmt.Errorf("%d rows differ from a rebuild", differ)
			}
			return nil
		},
	}
}

// projectionNames is the projections named, or all of them when none is.
func projectionNames(cmd *cobra.Command, app *server.App, args []string) ([]string, error) {
	statuses, err := app.Runner.Statuses(cmd.Context())
	if err != nil {
		return nil, err
	}
	var all []string
	for _, s := range statuses {
		all = append(all, s.Name)
	}
	if len(args) == 0 {
		return all, nil
	}
	for _, a := range args {
		if !slices.Contains(all, a) {
			return nil, fmt.Errorf("no projection %q (there are %v)", a, all)
		}
	}
	return args, nil
}

func printVerification(w io.Writer, v projections.Verification) {
	if v.Count == 0 {
		fmt.Fprintf(w, "%s: no differences (%d rows in %d tables at %s)\n", v.Projection, v.Rows, v.Tables, v.At)
		return
	}
	fmt.Fprintf(w, "%s: %d rows differ (%d rows in %d tables at %s)\n", v.Projection, v.Count, v.Rows, v.Tables, v.At)
	for _, d := range v.Differences {
		switch {
		case d.Live == nil && d.Rebuilt == nil:
			fmt.Fprintf(w, "  %s %s\n", d.Table, d.Key)
		case d.Live == nil:
			fmt.Fprintf(w, "  %s %s: missing from the live read model; rebuilt %s\n", d.Table, d.Key, d.Rebuilt)
		case d.Rebuilt == nil:
			fmt.Fprintf(w, "  %s %s: not in the rebuilt read model; live %s\n", d.Table, d.Key, d.Live)
		default:
			var live, rebuilt map[string]json.RawMessage
			_ = json.Unmarshal(d.Live, &live)
			_ = json.Unmarshal(d.Rebuilt, &rebuilt)
			var cols []string
			for c := range live {
				if string(live[c]) != string(rebuilt[c]) {
					cols = append(cols, c)
				}
			}
			slices.Sort(cols)
			for _, c := range cols {
				fmt.Fprintf(w, "  %s %s: %s: live %s, rebuilt %s\n", d.Table, d.Key, c, live[c], rebuilt[c])
			}
			if len(cols) == 0 {
				fmt.Fprintf(w, "  %s %s: live %s, rebuilt %s\n", d.Table, d.Key, d.Live, d.Rebuilt)
			}
		}
	}
	if shown := int64(len(v.Differences)); shown < v.Count {
		fmt.Fprintf(w, "  ... and %d more\n", v.Count-shown)
	}
}

// progress shows a rebuild's progress: on a terminal a bar with the rate and the time
// left, otherwise a line every few seconds. The share done is the position reached in
// the log's head, as event numbers (PostgreSQL positions count events).
type progress struct {
	w     io.Writer
	title string
	tty   bool
	bar   *progressbar.ProgressBar
	start time.Time
	base  int64 // where this run started, in event numbers
	last  projections.Progress
	line  time.Time
}

// lineEvery is how often a non-terminal gets a progress line.
const lineEvery = 5 * time.Second

func newProgress(w io.Writer, title string) *progress {
	p := &progress{w: w, title: title, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) report(pr projections.Progress) {
	if p.last.Projection == "" {
		p.base = max(int64(pr.At.Prepare)-pr.Applied, 0)
		if pr.Resumed > 0 {
			p.title += fmt.Sprintf(" (resumed after %d events)", pr.Resumed)
		}
	}
	p.last = pr
	done, total := int64(pr.At.Prepare)-p.base, max(int64(pr.Head.Prepare)-p.base, int64(pr.At.Prepare)-p.base, 1)
	if pr.Phase != "build" {
		p.finish()
		fmt.Fprintf(p.w, "%s: %s\n", p.title, pr.Phase)
		return
	}
	if p.tty {
		if p.bar == nil {
			p.bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(p.title),
				progressbar.OptionSetItsString("events"),
				progressbar.OptionShowIts(),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionFullWidth(),
			)
		}
		p.bar.ChangeMax64(total)
		_ = p.bar.Set64(done)
		return
	}
	if time.Since(p.line) < lineEvery {
		return
	}
	p.line = time.Now()
	rate := float64(pr.Applied) / time.Since(p.start).Seconds()
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "%s: %d%% (%d of %d events), %.0f events/s, ETA %s\n",
		p.title, 100*done/total, done, total, rate, eta)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}

func (p *progress) summary() string {
	took := time.Since(p.start)
	return fmt.Sprintf("%d events in %s (%.0f events/s)", p.last.Applied, took.Round(time.Millisecond),
		float64(p.last.Applied)/took.Seconds())
}
