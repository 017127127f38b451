package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/history"
	"github.com/stockledger/stockledger/internal/drftime"
	"github.com/stockledger/stockledger/internal/server"
	"github.com/stockledger/stockledger/projections/parts"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// replayCmd is `stockledger replay <stream> [--as-of TIME]`: an aggregate's state at a
// moment and the events that led there.
func replayCmd(cfg *server.Config) *cobra.Command {
	var asOf string
	cmd := &cobra.Command{
		Use:   "replay <stream> [--as-of TIME]",
		Short: "Print an aggregate's state at a moment and the events that led there",
		Long: "Replay a stream (e.g. stockitem-42, part-7) from the log: print its events recorded up to\n" +
			"--as-of (all of them without it), then the state they fold into. Stock items and parts are\n" +
			"also shown as GET /api/stock/{id}/?as_of= and /api/part/{id}/?as_of= show them. TIME is an\n" +
			"ISO 8601 date/time (2024-06-01T12:00:00Z, 2024-06-01 14:00+02:00, 2024-06-01).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var at time.Time
			if asOf != "" {
				t, ok := drftime.Parse(asOf)
				if !ok {
					return fmt.Errorf("--as-of %q: not a date/time", asOf)
				}
				at = t
			}
			if err := eventstore.ValidateStream(args[0]); err != nil {
				return err
			}
			app, err := server.Open(cmd.Context(), *cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			return replay(cmd.Context(), cmd.OutOrStdout(), app, args[0], at)
		},
	}
	cmd.Flags().StringVar(&asOf, "as-of", "", "the moment to replay to (default: now)")
	return cmd
}

// ignored folds nothing: the events of a kind this version cannot show are still
// listed.
type ignored struct{}

func (ignored) Apply(domain.Event) {}

// replay prints stream's events up to at (all when zero) and the state they make.
func replay(ctx context.Context, out io.Writer, app *server.App, stream string, at time.Time) error {
	cat, id, _ := strings.Cut(stream, "-")
	kind, known := history.Describe(cat)
	var agg history.Aggregate = ignored{}
	if known {
		agg = kind.New()
	}
	steps, err := history.Replay(ctx, app.Store, app.Codec, stream, at, agg)
	if err != nil {
		return err
	}
	when := "now"
	if !at.IsZero() {
		when = drftime.Format(at)
	}
	fmt.Fprintf(out, "%s as of %s: %d events\n", stream, when, len(steps))
	for _, st := range steps {
		r := st.Recorded
		by := "the system"
		if r.Metadata.User != "" {
			by = fmt.Sprintf("%s (user %d)", r.Metadata.User, r.Metadata.UserID)
		}
		fmt.Fprintf(out, "\n#%d  %s  %s  by %s", r.Version, drftime.Format(r.RecordedAt), r.Type, by)
		if r.Metadata.RequestID != "" {
			fmt.Fprintf(out, ", request %s", r.Metadata.RequestID)
		}
		if r.Metadata.CorrelationID != "" && r.Metadata.CorrelationID != r.Metadata.RequestID {
			fmt.Fprintf(out, ", correlation %s", r.Metadata.CorrelationID)
		}
		if r.Schema > 1 || app.Codec.Schema(r.Type) > 1 {
			fmt.Fprintf(out, " [stored with schema %d, read as %d]", max(r.Schema, 1), app.Codec.Schema(r.Type))
		}
		data, err := json.Marshal(st.Event)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n    %s\n", data)
	}
	if !known {
		fmt.Fprintf(out, "\nState: this version does not know aggregates of kind %q.\n", cat)
		return nil
	}
	if err := printJSON(out, "\nState (the aggregate's fields):", kind.State(agg)); err != nil {
		return err
	}
	pk, err := strconv.ParseInt(id, 10, 64)
	if err != nil || (cat != "stockitem" && cat != "part") {
		return nil
	}
	moment := at
	if moment.IsZero() {
		moment = time.Now()
	}
	view, err := apiView(ctx, app, cat, pk, moment)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		fmt.Fprintln(out, "\nAs the API shows it: it did not exist then (404).")
		return nil
	case err != nil:
		return err
	}
	return printJSON(out, "\nAs the API shows it:", view)
}

// apiView is a stock item or a part at moment as the API's as_of answers it: the same
// renderers, with their default details.
func apiView(ctx context.Context, app *server.App, cat string, pk int64, moment time.Time) (any, error) {
	if cat == "part" {
		return app.History.Part(ctx, pk, moment, parts.PartDetail{})
	}
	doc, err := app.History.StockItem(ctx, pk, moment, stockrm.ItemFilter{PartDetail: true, Today: moment})
	return json.RawMessage(doc), err
}

func printJSON(out io.Writer, title string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\n%s\n", title, b)
	return nil
}
