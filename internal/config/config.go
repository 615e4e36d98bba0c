// Package config holds Charter's one configuration struct, filled once from
// flags and environment variables and passed down explicitly.
package config

import (
	"flag"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zone names work on machines without a zoneinfo database
)

// Config is every setting Charter reads. Flags win over environment variables,
// which win over defaults.
type Config struct {
	Addr           string        // --addr, CHARTER_ADDR
	DataDir        string        // --data, CHARTER_DATA
	DatabaseURL    string        // --database-url, CHARTER_DATABASE_URL; empty means SQLite in DataDir
	AdminPassword  string        // CHARTER_ADMIN_PASSWORD; only read when the admin account is first created
	MaxBodyBytes   int64         // --max-body, CHARTER_MAX_BODY: limit for JSON bodies
	MaxIngestBody  int64         // --max-ingest-body, CHARTER_MAX_INGEST_BODY: limit for ingest batches
	MaxExportBytes int64         // --max-export, CHARTER_MAX_EXPORT: the largest e-discovery export the API builds
	MaxAttachment  int64         // --max-attachment, CHARTER_MAX_ATTACHMENT: the largest attachment the API stores
	ExtractWorkers int64         // --extract-workers, CHARTER_EXTRACT_WORKERS: attachments read at once, each in its own process
	SessionTTL     time.Duration // --session-ttl, CHARTER_SESSION_TTL
	LogLevel       string        // --log-level, CHARTER_LOG_LEVEL: debug, info, warn, error
	LogFormat      string        // --log-format, CHARTER_LOG_FORMAT: text or json

	// Archive retention in days by group level; see archive.DefaultRetention.
	RetentionSensitiveDays    int64 // --retention-sensitive-days, CHARTER_RETENTION_SENSITIVE_DAYS
	RetentionInternalDays     int64 // --retention-internal-days, CHARTER_RETENTION_INTERNAL_DAYS
	RetentionPublicDays       int64 // --retention-public-days, CHARTER_RETENTION_PUBLIC_DAYS
	RetentionUnregisteredDays int64 // --retention-unregistered-days, CHARTER_RETENTION_UNREGISTERED_DAYS
	// Registry timing.
	ApprovalRemindAfter time.Duration // --approval-remind-after, CHARTER_APPROVAL_REMIND_AFTER
	SignatureDays       int64         // --signature-days, CHARTER_SIGNATURE_DAYS; 0: signatures never lapse
	RecertMonths        string        // --recert-months, CHARTER_RECERT_MONTHS: "sensitive=6,internal=12"
	RecertDefault       string        // --recert-default, CHARTER_RECERT_DEFAULT: keep or suspend
	SchedulerEvery      time.Duration // --scheduler-every, CHARTER_SCHEDULER_EVERY: how often serve runs time-driven work
	// TimeZone is the organization's zone (--time-zone, CHARTER_TIME_ZONE):
	// where its days and months begin, for report periods, a sender's daily
	// transfer total and the dates the console shows. Location holds it loaded.
	TimeZone string
	Location *time.Location

	// Durable detection (package pipeline).
	ScanEvery    time.Duration // --scan-every, CHARTER_SCAN_EVERY: how often the catch-up scanner looks for unscanned messages
	ScanLease    time.Duration // --scan-lease, CHARTER_SCAN_LEASE: how long a chunk is left to the scan that took it
	ScanRetries  int64         // --scan-retries, CHARTER_SCAN_RETRIES: failed attempts that make a system alert
	ScanLagAlarm time.Duration // --scan-lag-alarm, CHARTER_SCAN_LAG_ALARM: /healthz is degraded past this age of the oldest unscanned message
	// SQLiteSynchronous is SQLite's synchronous setting for the writer
	// (--sqlite-synchronous, CHARTER_SQLITE_SYNCHRONOUS): full (the default)
	// survives power loss once a batch is answered; normal is faster and
	// may lose the last batches on power loss (never on a process crash).
	SQLiteSynchronous string

	// TrustedProxies (--trusted-proxies, CHARTER_TRUSTED_PROXIES) are the
	// reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
	// believed: comma-separated addresses or CIDR ranges. Proxies holds
	// them parsed.
	TrustedProxies string
	Proxies        []netip.Prefix
	// LoginAddressLimit is how many failed sign-ins one client address may
	// make in 15 minutes (--login-address-limit): sized for an office behind
	// one NAT address.
	LoginAddressLimit int64
	// MetricsPublic serves /metrics without credentials (--metrics-public).
	MetricsPublic bool

	// The checkpoint signing key, never in the database: the base64 seed in
	// CHARTER_CHECKPOINT_KEY, else the file --checkpoint-key
	// (CHARTER_CHECKPOINT_KEY_FILE; default checkpoint.key in the data
	// directory, created with mode 0600). CheckpointEvery is how often serve
	// signs the chain heads (--checkpoint-every).
	CheckpointKey   string
	CheckpointSeed  string
	CheckpointEvery time.Duration
	// BlobDir holds the attachments' bytes, named by their SHA-256
	// (--blob-dir, CHARTER_BLOB_DIR; default blobs in the data directory).
	// It is storage: verify reads it as well as serve.
	BlobDir string

	// WeCom (企业微信): pulling its chat archive through the vendor's
	// Finance SDK, its callbacks and its API. Nothing of it runs until
	// WeComCorpID is set. The secrets come from the environment only, so
	// they never show in a process list.
	WeComCorpID         string        // --wecom-corp-id, CHARTER_WECOM_CORP_ID
	WeComSecret         string        // CHARTER_WECOM_SECRET: the chat-archive app's secret (SDK Init, msgaudit API)
	WeComContactSecret  string        // CHARTER_WECOM_CONTACT_SECRET: the customer-contact secret (groupchat list/get); empty: WeComSecret
	WeComPrivateKeys    string        // --wecom-private-keys, CHARTER_WECOM_PRIVATE_KEYS: "1=/etc/charter/v1.pem,2=/etc/charter/v2.pem", by publickey_ver
	WeComSDK            string        // --wecom-sdk, CHARTER_WECOM_SDK: path of libWeWorkFinanceSdk_C.so
	WeComAPIBase        string        // --wecom-api-base, CHARTER_WECOM_API_BASE
	WeComCallbackToken  string        // CHARTER_WECOM_CALLBACK_TOKEN
	WeComCallbackAESKey string        // CHARTER_WECOM_CALLBACK_AES_KEY: the EncodingAESKey (43 characters)
	WeComPullEvery      time.Duration // --wecom-pull-every, CHARTER_WECOM_PULL_EVERY
	WeComProxy          string        // --wecom-proxy, CHARTER_WECOM_PROXY: proxy for the SDK's calls, e.g. socks5://10.0.0.1:1080
	WeComProxyPassword  string        // CHARTER_WECOM_PROXY_PASSWORD: user:password for the proxy

	// PDFFont and PDFLatinFont are the TrueType fonts reports draw PDFs
	// with (CHARTER_PDF_FONT, CHARTER_PDF_LATIN_FONT); empty: the first
	// known system font.
	PDFFont, PDFLatinFont string
	// KillBeforeScan (CHARTER_TEST_KILL_BEFORE_SCAN) is for the crash tests
	// only: serve kills itself, as SIGKILL would, when the n-th archived
	// chunk is committed and not yet scanned.
	KillBeforeScan int
}

// Default returns the settings Charter runs with when nothing is given.
func Default() Config {
	return Config{
		Addr:           "127.0.0.1:8080",
		DataDir:        "./charter-data",
		MaxBodyBytes:   1 << 20,
		MaxIngestBody:  64 << 20,
		MaxExportBytes: 2 << 30,
		MaxAttachment:  100 << 20,
		ExtractWorkers: 2,
		SessionTTL:     12 * time.Hour,
		LogLevel:       "info",
		LogFormat:      "text",

		RetentionSensitiveDays:    3653,
		RetentionInternalDays:     1096,
		RetentionPublicDays:       366,
		RetentionUnregisteredDays: 180,
		ApprovalRemindAfter:       48 * time.Hour,
		SignatureDays:             365,
		RecertDefault:             "keep",
		SchedulerEvery:            time.Minute,
		TimeZone:                  "Asia/Shanghai",
		ScanEvery:                 2 * time.Second,
		ScanLease:                 30 * time.Second,
		ScanRetries:               5,
		ScanLagAlarm:              5 * time.Minute,
		SQLiteSynchronous:         "full",
		LoginAddressLimit:         100,
		CheckpointEvery:           time.Hour,
		WeComAPIBase:              "https://qyapi.weixin.qq.com",
		WeComPullEvery:            30 * time.Second,
	}
}

// Group is a set of settings shown as flags together: each command
// registers the groups it reads, so its -h lists only what matters to it.
type Group uint

const (
	// Storage is where the data is, how to log, and the organization's zone:
	// every command that opens the database reads it.
	Storage Group = 1 << iota
	// Server is the serving process: listener, limits, sessions, sign-in
	// throttling, metrics and the background work's pace.
	Server
	// Retention is how long the archive keeps messages by group level.
	Retention
	// Registry is the registry's timing: reminders, signatures, re-certification.
	Registry
	// WeCom is the connection to the organization's WeCom (企业微信): the
	// archive pull, its callbacks and its API.
	WeCom

	All = Storage | Server | Retention | Registry | WeCom
)

// setting is one configuration value: the flag that sets it, the
// environment variable that sets it when the flag is absent, and its group.
type setting struct {
	group            Group
	flag, env, usage string
	p                any // *string, *int64, *time.Duration or *bool
}

func (c *Config) settings() []setting {
	return []setting{
		{Storage, "data", "CHARTER_DATA", "data directory for the SQLite database", &c.DataDir},
		{Storage, "database-url", "CHARTER_DATABASE_URL", "postgres://... to use PostgreSQL instead of SQLite", &c.DatabaseURL},
		{Storage, "log-level", "CHARTER_LOG_LEVEL", "debug, info, warn or error", &c.LogLevel},
		{Storage, "log-format", "CHARTER_LOG_FORMAT", "text or json", &c.LogFormat},
		{Storage, "time-zone", "CHARTER_TIME_ZONE", "the organization's time zone (IANA name, or Local)", &c.TimeZone},
		{Storage, "sqlite-synchronous", "CHARTER_SQLITE_SYNCHRONOUS", "full (survives power loss) or normal (faster; the last batches may be lost on power loss)", &c.SQLiteSynchronous},
		{Storage, "checkpoint-key", "CHARTER_CHECKPOINT_KEY_FILE", "file of the Ed25519 key that signs checkpoints (default: checkpoint.key in the data directory)", &c.CheckpointKey},
		{Storage, "blob-dir", "CHARTER_BLOB_DIR", "directory of the attachments' content, named by SHA-256 (default: blobs in the data directory)", &c.BlobDir},

		{Server, "addr", "CHARTER_ADDR", "listen address", &c.Addr},
		{Server, "max-body", "CHARTER_MAX_BODY", "largest JSON request body in bytes", &c.MaxBodyBytes},
		{Server, "max-ingest-body", "CHARTER_MAX_INGEST_BODY", "largest ingest batch in bytes", &c.MaxIngestBody},
		{Server, "max-export", "CHARTER_MAX_EXPORT", "largest e-discovery export the API writes, in bytes (413 above)", &c.MaxExportBytes},
		{Server, "max-attachment", "CHARTER_MAX_ATTACHMENT", "largest attachment PUT /api/v1/attachments/{sha256} stores, in bytes (413 above)", &c.MaxAttachment},
		{Server, "extract-workers", "CHARTER_EXTRACT_WORKERS", "attachments whose text is read at once, each in a child process under limits", &c.ExtractWorkers},
		{Server, "session-ttl", "CHARTER_SESSION_TTL", "how long a sign-in lasts", &c.SessionTTL},
		{Server, "trusted-proxies", "CHARTER_TRUSTED_PROXIES", "reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDR ranges, comma-separated", &c.TrustedProxies},
		{Server, "login-address-limit", "CHARTER_LOGIN_ADDRESS_LIMIT", "failed sign-ins one client address may make in 15 minutes", &c.LoginAddressLimit},
		{Server, "metrics-public", "CHARTER_METRICS_PUBLIC", "serve /metrics without a token", &c.MetricsPublic},
		{Server, "scheduler-every", "CHARTER_SCHEDULER_EVERY", "how often the server runs reminders, expiry and campaign deadlines", &c.SchedulerEvery},
		{Server, "scan-every", "CHARTER_SCAN_EVERY", "how often the catch-up scanner takes messages left unscanned (by a crash or a failure)", &c.ScanEvery},
		{Server, "scan-lease", "CHARTER_SCAN_LEASE", "how long an archived chunk is left to the scan that took it before the catch-up scanner may", &c.ScanLease},
		{Server, "scan-retries", "CHARTER_SCAN_RETRIES", "failed attempts to scan a message before a system alert is raised (retries go on)", &c.ScanRetries},
		{Server, "scan-lag-alarm", "CHARTER_SCAN_LAG_ALARM", "/healthz reports degraded when the oldest unscanned message is older than this", &c.ScanLagAlarm},
		{Server, "checkpoint-every", "CHARTER_CHECKPOINT_EVERY", "how often serve signs the heads of the hash chains", &c.CheckpointEvery},

		{Retention, "retention-sensitive-days", "CHARTER_RETENTION_SENSITIVE_DAYS", "days to keep messages of sensitive groups", &c.RetentionSensitiveDays},
		{Retention, "retention-internal-days", "CHARTER_RETENTION_INTERNAL_DAYS", "days to keep messages of internal groups", &c.RetentionInternalDays},
		{Retention, "retention-public-days", "CHARTER_RETENTION_PUBLIC_DAYS", "days to keep messages of public groups", &c.RetentionPublicDays},
		{Retention, "retention-unregistered-days", "CHARTER_RETENTION_UNREGISTERED_DAYS", "days to keep messages of rooms that are not registered work groups", &c.RetentionUnregisteredDays},

		{Registry, "approval-remind-after", "CHARTER_APPROVAL_REMIND_AFTER", "remind approvers when an application waits this long on a step", &c.ApprovalRemindAfter},
		{Registry, "signature-days", "CHARTER_SIGNATURE_DAYS", "days after which a statement signature lapses (0: never)", &c.SignatureDays},
		{Registry, "recert-months", "CHARTER_RECERT_MONTHS", `start re-certification every N months per level, e.g. "sensitive=6,internal=12"`, &c.RecertMonths},
		{Registry, "recert-default", "CHARTER_RECERT_DEFAULT", "keep or suspend: what happens to a group nobody re-certified", &c.RecertDefault},

		{WeCom, "wecom-corp-id", "CHARTER_WECOM_CORP_ID", "the corp ID (企业ID); empty: no WeCom connection", &c.WeComCorpID},
		{WeCom, "wecom-private-keys", "CHARTER_WECOM_PRIVATE_KEYS", `the archive's RSA private keys by publickey_ver, "1=v1.pem,2=v2.pem" (keep old versions)`, &c.WeComPrivateKeys},
		{WeCom, "wecom-sdk", "CHARTER_WECOM_SDK", "path of the vendor's Finance SDK library libWeWorkFinanceSdk_C.so", &c.WeComSDK},
		{WeCom, "wecom-api-base", "CHARTER_WECOM_API_BASE", "base URL of the WeCom API", &c.WeComAPIBase},
		{WeCom, "wecom-pull-every", "CHARTER_WECOM_PULL_EVERY", "how often serve pulls the chat archive (a msgaudit_notify callback pulls at once)", &c.WeComPullEvery},
		{WeCom, "wecom-proxy", "CHARTER_WECOM_PROXY", "proxy the SDK reaches WeCom through, e.g. socks5://10.0.0.1:1080 (empty: none)", &c.WeComProxy},
	}
}

// Register takes every setting from the environment (getenv), then binds as
// flags on fs the settings of the groups given, with the value in force as
// the default that --help shows. A setting outside those groups still takes
// its environment value, so a command runs with the same configuration
// whichever flags it shows. Flags win over the environment, which wins over
// the defaults.
func (c *Config) Register(fs *flag.FlagSet, getenv func(string) string, groups Group) {
	for _, s := range c.settings() {
		v := getenv(s.env)
		switch p := s.p.(type) {
		case *string:
			if v != "" {
				*p = v
			}
		case *int64:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				*p = n
			}
		case *time.Duration:
			if d, err := time.ParseDuration(v); err == nil {
				*p = d
			}
		case *bool:
			if b, err := strconv.ParseBool(v); err == nil {
				*p = b
			}
		}
		if s.group&groups == 0 {
			continue
		}
		usage := s.usage + " (" + s.env + ")"
		switch p := s.p.(type) {
		case *string:
			fs.StringVar(p, s.flag, *p, usage)
		case *int64:
			fs.Int64Var(p, s.flag, *p, usage)
		case *time.Duration:
			fs.DurationVar(p, s.flag, *p, usage)
		case *bool:
			fs.BoolVar(p, s.flag, *p, usage)
		}
	}
	// Secrets and test hooks are never flags.
	c.CheckpointSeed = getenv("CHARTER_CHECKPOINT_KEY")
	c.AdminPassword = getenv("CHARTER_ADMIN_PASSWORD")
	c.WeComSecret, c.WeComContactSecret = getenv("CHARTER_WECOM_SECRET"), getenv("CHARTER_WECOM_CONTACT_SECRET")
	c.WeComCallbackToken, c.WeComCallbackAESKey = getenv("CHARTER_WECOM_CALLBACK_TOKEN"), getenv("CHARTER_WECOM_CALLBACK_AES_KEY")
	c.WeComProxyPassword = getenv("CHARTER_WECOM_PROXY_PASSWORD")
	c.PDFFont, c.PDFLatinFont = getenv("CHARTER_PDF_FONT"), getenv("CHARTER_PDF_LATIN_FONT")
	if n, err := strconv.Atoi(getenv("CHARTER_TEST_KILL_BEFORE_SCAN")); err == nil && n > 0 {
		c.KillBeforeScan = n
	}
}

// Validate checks the settings and makes relative paths absolute.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("config: --addr is empty")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return fmt.Errorf("config: --time-zone %q: %v", c.TimeZone, err)
	}
	c.Location = loc
	if c.DatabaseURL == "" {
		if c.DataDir == "" {
			return fmt.Errorf("config: --data is empty and no --database-url is given")
		}
		abs, err := filepath.Abs(c.DataDir)
		if err != nil {
			return fmt.Errorf("config: --data: %w", err)
		}
		c.DataDir = abs
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("config: --max-body must be at least 1024 bytes")
	}
	if c.MaxIngestBody < c.MaxBodyBytes {
		return fmt.Errorf("config: --max-ingest-body must be at least --max-body")
	}
	if c.SessionTTL < time.Minute {
		return fmt.Errorf("config: --session-ttl must be at least a minute")
	}
	for _, d := range []int64{c.RetentionSensitiveDays, c.RetentionInternalDays, c.RetentionPublicDays, c.RetentionUnregisteredDays} {
		if d < 1 {
			return fmt.Errorf("config: retention periods must be at least one day")
		}
	}
	if c.SignatureDays < 0 {
		return fmt.Errorf("config: --signature-days must not be negative")
	}
	if c.RecertDefault != "keep" && c.RecertDefault != "suspend" {
		return fmt.Errorf("config: --recert-default %q is not keep or suspend", c.RecertDefault)
	}
	if c.SchedulerEvery < time.Millisecond {
		return fmt.Errorf("config: --scheduler-every is too short")
	}
	if c.ScanEvery < time.Millisecond || c.ScanLease < time.Second {
		return fmt.Errorf("config: --scan-every must be positive and --scan-lease at least a second")
	}
	if c.ScanRetries < 1 {
		return fmt.Errorf("config: --scan-retries must be at least 1")
	}
	if c.ScanLagAlarm < time.Second {
		return fmt.Errorf("config: --scan-lag-alarm must be at least a second")
	}
	if c.SQLiteSynchronous != "full" && c.SQLiteSynchronous != "normal" {
		return fmt.Errorf("config: --sqlite-synchronous %q is not full or normal", c.SQLiteSynchronous)
	}
	c.Proxies = nil
	for _, v := range strings.Split(c.TrustedProxies, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return fmt.Errorf("config: --trusted-proxies: %q is not an address or CIDR range", v)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.Proxies = append(c.Proxies, p.Masked())
	}
	if c.CheckpointKey == "" {
		abs, err := filepath.Abs(c.DataDir)
		if err != nil {
			return fmt.Errorf("config: --data: %w", err)
		}
		c.CheckpointKey = filepath.Join(abs, "checkpoint.key")
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	blobs, err := filepath.Abs(c.BlobDir)
	if err != nil {
		return fmt.Errorf("config: --blob-dir: %w", err)
	}
	c.BlobDir = blobs
	if c.ExtractWorkers < 1 {
		return fmt.Errorf("config: --extract-workers must be at least 1")
	}
	if c.MaxAttachment < 1 {
		return fmt.Errorf("config: --max-attachment must be at least 1 byte")
	}
	if c.CheckpointEvery < time.Second {
		return fmt.Errorf("config: --checkpoint-every must be at least a second")
	}
	if c.WeComPullEvery < 100*time.Millisecond {
		return fmt.Errorf("config: --wecom-pull-every must be at least 100ms")
	}
	if c.LoginAddressLimit < 1 {
		return fmt.Errorf("config: --login-address-limit must be at least 1")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: --log-level %q is not debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("config: --log-format %q is not text or json", c.LogFormat)
	}
	return nil
}

// Engine names the storage engine the settings select.
func (c *Config) Engine() string {
	if c.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// SQLitePath is the database file inside the data directory.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "charter.db") }

// Masked returns the settings as log attributes with secrets hidden.
func (c *Config) Masked() []any {
	db := "sqlite:" + c.SQLitePath()
	if c.DatabaseURL != "" {
		db = maskURL(c.DatabaseURL)
	}
	return []any{"addr", c.Addr, "database", db, "max_body", c.MaxBodyBytes, "session_ttl", c.SessionTTL.String(), "log_level", c.LogLevel,
		"sqlite_synchronous", c.SQLiteSynchronous, "blob_dir", c.BlobDir, "max_attachment", c.MaxAttachment}
}
