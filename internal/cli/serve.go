package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"charter/internal/app"
	"charter/internal/audit"
	"charter/internal/config"
	"charter/internal/httpapi"
	"charter/internal/registry"
	"charter/internal/web"
)

// serve runs the server until ctx is cancelled (SIGINT/SIGTERM in main).
func serve(ctx context.Context, e *Env, args []string) error {
	c := newCmdline(e, "serve", "", config.All)
	if err := c.parse(args); err != nil {
		return err
	}
	cfg := &c.cfg
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := c.log()
	log.Info("starting charter", append([]any{"version", Version}, cfg.Masked()...)...)
	if cfg.DatabaseURL == "" {
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	a, err := app.Open(ctx, cfg, e.Now, log)
	if err != nil {
		return err
	}
	defer a.Close()

	generated, err := a.Accounts.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	if generated != "" {
		fmt.Fprintf(e.Stdout, "Created the first admin account.\n  username: admin\n  password: %s\nThis password is shown only once; sign in and change it.\n", generated)
	}

	api := &httpapi.Server{Cfg: cfg, Storage: a.DB, Accounts: a.Accounts, Archive: a.Archive, Registry: a.Registry, Reports: a.Reports, Audit: a.Audit, Log: log, Metrics: a.Metrics, Now: e.Now,
		Review: a.Review, Policies: a.Policies, Pipeline: a.Pipeline, Checkpoints: a.Checkpoints, Matrix: a.Matrix, WeCom: a.WeCom, Blobs: a.Blobs}
	go reloadPolicies(ctx, a, log)
	console, err := web.New(web.Server{Cfg: cfg, Accounts: a.Accounts, Registry: a.Registry, Review: a.Review, Archive: a.Archive,
		Reports: a.Reports, Audit: a.Audit, Log: log, Now: e.Now, Location: cfg.Location})
	if err != nil {
		return err
	}
	// The catch-up scanner starts before the listener: what a crash left
	// unscanned is taken at once. It is waited for before the database closes.
	scanCtx, stopScan := context.WithCancel(ctx)
	scanDone := make(chan struct{})
	go func() { defer close(scanDone); a.Pipeline.Run(scanCtx, cfg.ScanEvery) }()
	defer func() { stopScan(); <-scanDone }()
	// The chain heads are signed at start-up and every --checkpoint-every.
	cpDone := make(chan struct{})
	go func() { defer close(cpDone); a.Checkpoints.Run(scanCtx, cfg.CheckpointEvery, log.Error) }()
	defer func() { stopScan(); <-cpDone }()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	// Headers within 10 s; a whole request (an ingest batch of up to
	// --max-ingest-body) within 5 minutes; an answer (an export streaming)
	// within 30; an idle keep-alive connection closes after 2.
	srv := &http.Server{Handler: routes(api.Handler(), console.Handler()), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 5 * time.Minute, WriteTimeout: 30 * time.Minute, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(e.Stdout, "Charter is serving on http://%s (%s)\n", ln.Addr(), a.DB.Engine())
	log.Info("listening", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purgeDone := make(chan struct{})
	go func() { defer close(purgeDone); purgeDaily(purgeCtx, a, log) }()
	// The purge must finish before the database closes.
	defer func() { stopPurge(); <-purgeDone }()
	// Reminders, expiry and campaign deadlines, and the periodic reports
	// with their reminders, every --scheduler-every; a tick is idempotent,
	// so a restart never repeats a notice.
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	sched := &registry.Scheduler{Service: a.Registry, Log: log}
	go sched.Run(schedCtx, cfg.SchedulerEvery, e.Now)
	// The report scheduler is waited for, so it never ticks on a closed database.
	reportsDone := make(chan struct{})
	go func() { defer close(reportsDone); a.Reports.Run(schedCtx, cfg.SchedulerEvery, e.Now, log) }()
	// The WeCom archive, pulled every --wecom-pull-every and at once on a
	// msgaudit_notify callback, and its customer groups; only when a corp
	// is configured, the vendor's SDK only when its path is.
	wecomDone := make(chan struct{})
	if cfg.WeComCorpID != "" {
		if cfg.WeComSDK != "" {
			closeSDK, err := a.OpenWeComPull(cfg)
			if err != nil {
				return err
			}
			defer closeSDK()
		}
		go func() { defer close(wecomDone); a.WeCom.Run(schedCtx, cfg.WeComPullEvery) }()
	} else {
		close(wecomDone)
	}
	// The attachment lane: what attachments hold, read in child processes
	// and scanned, at the catch-up scanner's pace.
	laneDone := make(chan struct{})
	go func() { defer close(laneDone); a.Attachments.Run(schedCtx, cfg.ScanEvery) }()
	// Enforcement on the Matrix homeserver, when a security officer turned
	// it on, at the same pace.
	matrixDone := make(chan struct{})
	go func() { defer close(matrixDone); a.Matrix.Run(schedCtx, cfg.SchedulerEvery, log) }()
	defer func() { stopSched(); <-reportsDone; <-matrixDone; <-wecomDone; <-laneDone }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// routes serves the API under /api/ with its health and metrics endpoints,
// and the console everywhere else, on one address.
func routes(api, console http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("/healthz", api)
	mux.Handle("/metrics", api)
	// The Matrix homeserver's calls (application-service API, and the
	// legacy path older servers use).
	mux.Handle("/_matrix/", api)
	mux.Handle("PUT /transactions/", api)
	mux.Handle("/", console)
	return mux
}

// reloadPolicies picks up detection policy changes made through another
// server on the same PostgreSQL database; changes made here apply at once.
func reloadPolicies(ctx context.Context, a *app.App, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Policies.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Error("reload detection policy", "err", err)
			}
		}
	}
}

// purgeDaily runs the retention purge (and drops expired sessions) a minute
// after start and then every day, until ctx ends. A failure is logged and
// tried again the next day.
func purgeDaily(ctx context.Context, a *app.App, log *slog.Logger) {
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = 24 * time.Hour
		if err := a.Accounts.FlushLoginFailures(ctx); err != nil {
			log.Error("close sign-in failure windows", "err", err)
		}
		if n, err := a.Accounts.PurgeSessions(ctx); err != nil {
			log.Error("purge expired sessions", "err", err)
		} else if n > 0 {
			log.Info("purged expired sessions", "sessions", n)
		}
		res, err := a.Archive.Purge(audit.WithActor(ctx, audit.Actor{Name: "scheduler", Addr: "local"}))
		if err != nil {
			log.Error("archive purge", "err", err)
			continue
		}
		log.Info("archive purge", "tombstoned", res.Tombstoned, "held", res.Held)
	}
}
