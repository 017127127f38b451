package projections

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports each projector's progress to Prometheus. It reads the checkpoints
// and the log at scrape time, so the figures are never staler than the scrape.
type Collector struct {
	runner *Runner
	lag    *prometheus.Desc
	events *prometheus.Desc
	fail   *prometheus.Desc
}

// NewCollector returns a Collector for r; register it on a prometheus.Registry.
func NewCollector(r *Runner) *Collector {
	return &Collector{
		runner: r,
		lag: prometheus.NewDesc("stockledger_projection_lag_seconds",
			"Age of the oldest event the projection has not applied yet; 0 when caught up.",
			[]string{"projection"}, nil),
		events: prometheus.NewDesc("stockledger_projection_events_applied",
			"Events applied to the projection since it was last rebuilt.",
			[]string{"projection"}, nil),
		fail: prometheus.NewDesc("stockledger_projection_failing",
			"1 while the projection's last batch failed and is being retried.",
			[]string{"projection"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.events
	ch <- c.fail
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	statuses, err := c.runner.Statuses(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.lag, err)
		return
	}
	for _, s := range statuses {
		lag := 0.0
		next, err := c.runner.cfg.Log.ReadAll(ctx, s.Position, 1)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.lag, err)
			return
		}
		if len(next) > 0 {
			lag = time.Since(next[0].RecordedAt).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag, s.Name)
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(s.Events), s.Name)
		failing := 0.0
		st := c.runner.state[s.Name]
		st.mu.Lock()
		if st.failing != nil {
			failing = 1
		}
		st.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(c.fail, prometheus.GaugeValue, failing, s.Name)
	}
}
