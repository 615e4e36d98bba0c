package cli

import (
	"context"
	"fmt"
	"time"

	"charter/internal/app"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/pipeline"
)

// rescan runs the rules in force over a period of the archive again and
// creates only the alerts that did not exist.
func rescan(ctx context.Context, e *Env, args []string) error {
	var from, to string
	var group int64
	c := newCmdline(e, "rescan", "", config.Storage)
	c.fs.StringVar(&from, "from", "", "start of the period: RFC 3339 time or a date in the organization's zone (required)")
	c.fs.StringVar(&to, "to", "", "end of the period, exclusive (required)")
	c.fs.Int64Var(&group, "group", 0, "only this registered group")
	return c.run(ctx, args, func(a *app.App) error {
		req := pipeline.RescanRequest{GroupID: group}
		var err error
		if req.From, err = cliTime(from, "from", a.Config.Location); err != nil {
			return err
		}
		if req.To, err = cliTime(to, "to", a.Config.Location); err != nil {
			return err
		}
		start := time.Now()
		res, err := a.Pipeline.Rescan(cliContext(ctx), req, func(r pipeline.RescanResult) {
			fmt.Fprintf(e.Stderr, "rescan: %d messages scanned, %d new alerts (%.0f/s)\n", r.Scanned, r.Created, float64(r.Scanned)/time.Since(start).Seconds())
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "rescanned %d messages: %d new alerts, %d could not be scanned (left to the retries)\n", res.Scanned, res.Created, res.Failed)
		return nil
	})
}

// cliTime reads an RFC 3339 time, or a date taken as midnight in zone.
func cliTime(v, field string, zone *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, errs.Field(field, "required (--%s)", field)
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, zone); err == nil {
		return t, nil
	}
	return time.Time{}, errs.Field(field, "%q is not an RFC 3339 time or a date (2006-01-02)", v)
}
