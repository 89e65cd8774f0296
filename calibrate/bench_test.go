package calibrate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shadowq/shadowq/calibrate"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/playback"
	"github.com/shadowq/shadowq/genesys"
	"github.com/shadowq/shadowq/scenarios"
)

// BenchmarkCalibrate200x28 is the time budget: 28 days of a
// 200-expert org (testdata/org-200.yaml, ~30,000 conversations) read from
// the fake through the live adapter with the default per-token budget
// (300 requests a minute), fitted, refined, and written with its report.
// Target: under 60 s. History generation is outside the timing.
func BenchmarkCalibrate200x28(b *testing.B) {
	sc, err := scenarios.Load("testdata/org-200.yaml")
	if err != nil {
		b.Fatal(err)
	}
	end := time.Now().UTC().Truncate(24 * time.Hour)
	h := fake.NewHistory()
	if _, err := playback.History(h, sc, 28, end); err != nil {
		b.Fatal(err)
	}
	org := playback.Org(sc)
	srv, err := fake.New(fake.Options{Org: &org, History: h})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ResetTimer()
	for range b.N {
		tm, err := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(base), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
		if err != nil {
			b.Fatal(err)
		}
		c, err := genesys.NewClient(genesys.Options{API: base, Tokens: tm}) // the default budget: 300 a minute
		if err != nil {
			b.Fatal(err)
		}
		d, err := c.CalibrationData(context.Background(), genesys.CalibrationQuery{From: end.AddDate(0, 0, -28), To: end})
		if err != nil {
			b.Fatal(err)
		}
		m, err := calibrate.Calibrate(d, calibrate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Refine(4); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cal.yaml"), []byte(m.YAML()), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := m.WriteReport(dir); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(d.Conversations)), "conversations")
	}
}
