// Package app is Charter's composition root: it opens the database and
// builds every domain service on it, once, each with its constructor and
// its configuration. The server and the commands receive the App and use
// its services; nothing changes them afterwards.
package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/attachment"
	"charter/internal/audit"
	"charter/internal/blob"
	"charter/internal/checkpoint"
	"charter/internal/config"
	"charter/internal/matrix"
	"charter/internal/metrics"
	"charter/internal/pipeline"
	"charter/internal/registry"
	"charter/internal/report"
	"charter/internal/report/export"
	"charter/internal/review"
	"charter/internal/store"
	"charter/internal/wecom"
)

// App is Charter assembled: the database and the domain services on it.
type App struct {
	Config   *config.Config
	DB       store.DB
	Log      *slog.Logger
	Now      func() time.Time
	Metrics  *metrics.Registry
	Accounts *account.Service
	Registry *registry.Service
	// Directory is the registry held in memory for capture and detection.
	Directory *registry.Directory
	Policies  *review.Policies
	Review    *review.Service
	// Pipeline scans every archived chunk, and catches up on what a crash
	// or a failure left unscanned.
	Pipeline *pipeline.Pipeline
	// Checkpoints signs the chain heads with the key kept outside the database.
	Checkpoints *checkpoint.Service
	Archive     *archive.Service
	Reports     *report.Service
	// Audit reads the trail for auditors and administrators.
	Audit *audit.Service
	// Matrix takes the transactions of the homeserver Charter is
	// registered with into the archive.
	Matrix *matrix.Service
	// WeCom pulls the organization's WeCom archive, takes its callbacks
	// and keeps its groups in the inventory.
	WeCom *wecom.Service
	// Blobs holds the attachments' bytes, outside the database.
	Blobs *blob.Store
	// Attachments reads what attachments hold and scans it, in the background.
	Attachments *attachment.Lane
}

// Open opens and migrates the database and builds the services, in the
// order they need each other. cfg must be validated.
func Open(ctx context.Context, cfg *config.Config, now func() time.Time, log *slog.Logger) (*App, error) {
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, cfg, db, now, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func build(ctx context.Context, cfg *config.Config, db store.DB, now func() time.Time, log *slog.Logger) (*App, error) {
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	policy, err := registryPolicy(cfg)
	if err != nil {
		return nil, err
	}
	key, err := loadCheckpointKey(ctx, cfg, db)
	if err != nil {
		return nil, err
	}
	reviewTx := store.TxFor[review.TxStore](db)
	policies, err := review.NewPolicies(ctx, db, reviewTx, now)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Log: log, Now: now, Metrics: metrics.New(), Policies: policies}
	a.Registry = registry.NewService(db, store.TxFor[registry.TxStore](db), now, policy)
	a.Accounts = newAccounts(cfg, db, now, a.Registry)
	a.Directory = registry.NewDirectory(db)
	// Review reads message context from the archive's storage (adapters.go).
	a.Review = &review.Service{Store: db, Tx: reviewTx, Now: now, Archive: archiveContext{db}}
	// The domains meet in the pipeline: the archive resolves rooms and
	// senders through the registry's directory and hands every committed
	// chunk to detection, which records alerts and notices with context
	// from both.
	scanner := &review.Scanner{Policies: policies, Store: db, Tx: reviewTx, Metrics: a.Metrics, Log: log, Now: now}
	a.Pipeline = newPipeline(cfg, db, scanner, a.Directory, a.Metrics, log, now)
	a.Checkpoints = &checkpoint.Service{Store: db, Tx: store.TxFor[checkpoint.Store](db), Key: key, Now: now}
	a.Archive = NewArchive(cfg, db, now, a.Directory, a.Checkpoints, a.Pipeline.Archived)
	a.Reports = newReports(cfg, db, now, a.Registry, a.Checkpoints)
	a.Audit = &audit.Service{Store: db}
	a.Blobs = blob.New(cfg.BlobDir)
	a.Attachments = a.newAttachmentLane(cfg)
	a.Matrix = &matrix.Service{Store: db, Archive: a.Archive, Rooms: a.Registry, Alerts: db, Review: a.Review, Now: now}
	a.Pipeline.Foreign, a.Pipeline.Bot = a.Matrix.Foreign, a.Matrix.Bot
	if a.WeCom, err = a.newWeCom(cfg); err != nil {
		return nil, err
	}
	// Every group signs some statement: ship the default as version 1
	// (audited as the command line, whichever command opens first).
	if err := a.Registry.EnsureDefaultTemplate(audit.WithActor(ctx, audit.Actor{Name: "cli", Addr: "local"})); err != nil {
		return nil, err
	}
	return a, nil
}

// Close closes the database; the caller has stopped everything that uses it.
func (a *App) Close() error { return a.DB.Close() }

// registryPolicy is the registry's timing from the configuration.
func registryPolicy(cfg *config.Config) (registry.Policy, error) {
	p := registry.DefaultPolicy()
	p.RemindAfter, p.SignatureDays, p.RecertDefault = cfg.ApprovalRemindAfter, int(cfg.SignatureDays), cfg.RecertDefault
	var err error
	p.RecertMonths, err = registry.ParseRecertMonths(cfg.RecertMonths)
	return p, err
}

// newAccounts makes the account service with the configured session
// lifetime and sign-in limit per client address; its directory import
// writes handles through the registry (importTx).
func newAccounts(cfg *config.Config, db store.DB, now func() time.Time, reg *registry.Service) *account.Service {
	s := account.NewService(db, store.TxFor[account.TxStore](db), now, cfg.SessionTTL)
	s.Throttle.AddrLimit = int(cfg.LoginAddressLimit)
	s.ImportTx = importTx(db, reg)
	return s
}

// newReports makes the report service: its figures come from the archive's
// and review's storage, its months begin in the organization's zone, filed
// reports carry a checkpoint, and PDFs use the configured fonts.
func newReports(cfg *config.Config, db store.DB, now func() time.Time, reg *registry.Service, cps *checkpoint.Service) *report.Service {
	s := report.NewService(db, store.TxFor[report.TxStore](db), now, reg,
		report.Sources{Messages: db.GroupMessageStats, Transfers: db.GroupTransferStats, Alerts: db.AlertFigures})
	s.Zone, s.Checkpoints, s.Getenv = cfg.Location, cps, fontEnv(cfg)
	return s
}

// newPipeline makes the detection pipeline with the configured leases,
// retries and lag alarm (and the crash tests' kill hook).
func newPipeline(cfg *config.Config, db store.DB, sc *review.Scanner, dir *registry.Directory, m *metrics.Registry, log *slog.Logger, now func() time.Time) *pipeline.Pipeline {
	p := pipeline.New(db, store.TxFor[pipeline.TxStore](db), sc, dir, m, log, now, cfg.Location)
	p.Lease, p.Retries, p.LagAlarm = cfg.ScanLease, int(cfg.ScanRetries), cfg.ScanLagAlarm
	if cfg.KillBeforeScan > 0 {
		p.BeforeScan = killBeforeScan(cfg.KillBeforeScan)
	}
	return p
}

// killBeforeScan returns a hook that kills this process, as SIGKILL would,
// when the n-th archived chunk is committed and not yet scanned: the crash
// tests set CHARTER_TEST_KILL_BEFORE_SCAN to cut exactly there.
func killBeforeScan(n int) func() {
	var seen atomic.Int64
	return func() {
		if seen.Add(1) == int64(n) {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way; nothing more runs here
		}
	}
}

// NewArchive makes the archive service with the configured retention,
// resolving through the registry's directory, signing exports with cps
// (nil: none) and handing every committed chunk to the observers. Open
// observes with the pipeline; a benchmark passes none to leave chunks
// unscanned, as a crash would.
func NewArchive(cfg *config.Config, db store.DB, now func() time.Time, dir *registry.Directory, cps *checkpoint.Service, observers ...archive.Observer) *archive.Service {
	svc := archive.NewService(db, store.TxFor[archive.TxStore](db), now)
	svc.Resolver, svc.Groups = pipeline.Resolver{Directory: dir}, pipeline.Resolver{Directory: dir}
	svc.ScanLease = cfg.ScanLease
	svc.Checkpoints = cps
	days := func(n int64) time.Duration { return time.Duration(n) * 24 * time.Hour }
	svc.Retention = archive.Retention{
		Sensitive:    days(cfg.RetentionSensitiveDays),
		Internal:     days(cfg.RetentionInternalDays),
		Public:       days(cfg.RetentionPublicDays),
		Unregistered: days(cfg.RetentionUnregisteredDays),
	}
	for _, o := range observers {
		svc.Observe(o)
	}
	return svc
}

// fontEnv answers the report service's font lookups from the configuration,
// which read them from the environment with every other setting.
func fontEnv(cfg *config.Config) func(string) string {
	return func(k string) string {
		switch k {
		case export.FontEnv:
			return cfg.PDFFont
		case export.LatinFontEnv:
			return cfg.PDFLatinFont
		}
		return ""
	}
}

// loadCheckpointKey loads the signing key, creating it only for a database
// that holds no checkpoint yet: a key that went missing is never replaced
// in silence, or a changed database could be signed anew and pass.
func loadCheckpointKey(ctx context.Context, cfg *config.Config, db store.DB) (ed25519.PrivateKey, error) {
	cps, err := db.Checkpoints(ctx, 1)
	if err != nil {
		return nil, err
	}
	key, err := checkpoint.LoadKey(cfg.CheckpointSeed, cfg.CheckpointKey, len(cps) == 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the checkpoint key %s is missing, but the database holds checkpoints signed by key %s: restore the key file (or CHARTER_CHECKPOINT_KEY); a new key would let a changed database pass for an untouched one", cfg.CheckpointKey, cps[0].KeyID)
	}
	return key, err
}
