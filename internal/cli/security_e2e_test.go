package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charter/internal/audit"
	"charter/internal/store/storetest"
)

// TestContextIsTheGroupsOnly: a room talks while it is bound to no group;
// later a group is approved and bound to it; an alert on a new message
// shows as context only what the room archived as that group, never the
// earlier, unregistered messages. Search and export keep to the group too.
func TestContextIsTheGroupsOnly(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--scheduler-every", "1h")
		admin := in.login("admin", testAdminPassword)
		var tok struct{ Token string }
		if code := in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "t", "scope": "ingest"}, &tok); code != 201 {
			t.Fatalf("token: %d", code)
		}
		at := time.Now().UTC().Add(-time.Hour)
		line := func(id, text string) string {
			at = at.Add(time.Minute)
			return fmt.Sprintf(`{"platform":"wecom","source_id":%q,"room_id":"wrLater","sender":"someone","sent_at":%q,"kind":"text","text":%q}`,
				id, at.Format(time.RFC3339), text)
		}
		ingest := func(lines ...string) {
			t.Helper()
			if code := in.call("POST", "/api/v1/ingest/messages", tok.Token, strings.Join(lines, "\n")+"\n", nil); code != 200 {
				t.Fatalf("ingest: %d", code)
			}
		}
		ingest(line("before-1", "周末一起吃饭吧，私事"), line("before-2", "机密的八卦别外传"))
		group := in.registeredGroup(admin, "Later", "wrLater")
		ingest(line("after-1", "附件是秘密★1年的预算草案"))

		if code := in.call("POST", "/api/v1/users", admin, map[string]any{"username": "rev.later", "password": "password-rev.later", "real_name": "审核员",
			"org_unit": "unit-later", "verified": true, "roles": []map[string]string{{"role": "reviewer"}}}, nil); code != 201 {
			t.Fatalf("reviewer: %d", code)
		}
		rev := in.login("rev.later", "password-rev.later")
		var alerts struct {
			Items []struct {
				ID      int64
				Rule    string
				GroupID *int64 `json:"group_id"`
			}
		}
		if code := in.call("GET", "/api/v1/alerts?category=marking", rev, nil, &alerts); code != 200 || len(alerts.Items) == 0 {
			t.Fatalf("alerts: %d %+v", code, alerts)
		}
		var ctxOut struct {
			Messages []struct {
				SourceID string `json:"source_id"`
			}
		}
		a := alerts.Items[0]
		if code := in.call("GET", fmt.Sprintf("/api/v1/alerts/%d/context?radius=10", a.ID), rev, nil, &ctxOut); code != 200 {
			t.Fatalf("context: %d", code)
		}
		if len(ctxOut.Messages) != 1 || ctxOut.Messages[0].SourceID != "after-1" {
			t.Fatalf("context of alert %d in group %d: %+v, want only after-1", a.ID, group, ctxOut.Messages)
		}
		var hits struct {
			Items []struct {
				SourceID string `json:"source_id"`
			}
		}
		if code := in.call("GET", fmt.Sprintf("/api/v1/messages?q=%s&group=%d", "机密", group), rev, nil, &hits); code != 200 {
			t.Fatalf("search: %d", code)
		}
		for _, h := range hits.Items {
			if strings.HasPrefix(h.SourceID, "before-") {
				t.Fatalf("search in group %d found a message from before its binding: %+v", group, hits.Items)
			}
		}
	})
}

// TestCheckpointsAnchorTheChains: serve signs the chain heads at start-up;
// a filed report and an export carry a checkpoint; someone who removes the
// newest audit events and moves the head back (after dropping the guards)
// passes the chain walk but not verify, against the database's newest
// checkpoint or the file the user kept.
func TestCheckpointsAnchorTheChains(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine, "--scheduler-every", "1h")
		admin := in.login("admin", testAdminPassword)
		in.registeredGroup(admin, "Anchor", "wrAnchor")
		var cps struct {
			Items []struct {
				ID        int64
				Reason    string
				PublicKey string `json:"public_key"`
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(cps.Items) == 0 && time.Now().Before(deadline) {
			if code := in.call("GET", "/api/v1/checkpoints", admin, nil, &cps); code != 200 {
				t.Fatalf("checkpoints: %d", code)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(cps.Items) == 0 || cps.Items[0].PublicKey == "" {
			t.Fatalf("no start-up checkpoint: %+v", cps)
		}
		// A checkpoint now covers the group's registration.
		if out, errOut, err := in.cli("checkpoint create"); err != nil || !strings.Contains(out, "audit") {
			t.Fatalf("checkpoint create: %v %s %s", err, out, errOut)
		}
		kept := t.TempDir() + "/kept.jsonl"
		if _, errOut, err := in.cli("checkpoint export", "--out", kept); err != nil || !strings.Contains(errOut, "exported") {
			t.Fatalf("checkpoint export: %v %s", err, errOut)
		}
		if out, _, err := in.cli("verify", "--against", kept); err != nil || !strings.Contains(out, "chains match") {
			t.Fatalf("verify before tampering: %v %s", err, out)
		}
		in.stop()

		db := openSame(t, in)
		storetest.Tamper(t, db)
		ctx := context.Background()
		seq, _, err := db.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keep *audit.Event
		db.WalkAudit(ctx, func(e *audit.Event) error {
			if e.Seq == seq-3 {
				keep = e
			}
			return nil
		})
		for _, q := range []string{fmt.Sprintf("DELETE FROM audit_events WHERE seq > %d", keep.Seq),
			fmt.Sprintf("UPDATE chain_heads SET seq = %d, hash = '%s' WHERE name = 'audit'", keep.Seq, keep.Hash)} {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		for _, args := range [][]string{{"--against", kept}, nil} {
			out, _, err := in.cli("verify", args...)
			if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(out, "audit trail:") {
				t.Fatalf("verify %v after truncation: %v\n%s", args, err, out)
			}
		}
	})
}

// A second serve on the same SQLite data directory refuses to start, saying
// why; the first keeps serving.
func TestSecondServeOnOneDataDirectory(t *testing.T) {
	in := startCharter(t, "sqlite", "--scheduler-every", "1h")
	var out, errOut syncBuffer
	err := Run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, in.args...), &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: in.getenv})
	if err == nil || !strings.Contains(err.Error(), "another charter serve") {
		t.Fatalf("second serve: %v\n%s", err, errOut.String())
	}
	if code := in.call("GET", "/healthz", "", nil, nil); code != 200 {
		t.Fatalf("the first server after the refusal: %d", code)
	}
}

// `charter NOUN --help` lists the subcommands and exits 0 (it was a usage error).
func TestNounHelp(t *testing.T) {
	for _, noun := range []string{"report", "user", "checkpoint"} {
		for _, h := range []string{"-h", "--help", "help"} {
			var out, errOut strings.Builder
			err := Run(context.Background(), []string{noun, h}, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
			if err != nil || !strings.Contains(errOut.String(), "Subcommands:") {
				t.Errorf("charter %s %s: %v %q", noun, h, err, errOut.String())
			}
		}
	}
}

// A checkpoint key that went missing is not replaced by a fresh one (which
// would sign a changed database anew): Charter refuses to start, saying so.
func TestMissingKeyIsNotReplaced(t *testing.T) {
	in := startCharter(t, "sqlite", "--scheduler-every", "1h")
	admin := in.login("admin", testAdminPassword)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var cps struct{ Items []struct{ ID int64 } }
		in.call("GET", "/api/v1/checkpoints", admin, nil, &cps)
		if len(cps.Items) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no start-up checkpoint")
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.stop()
	if err := os.Remove(filepath.Join(in.args[1], "checkpoint.key")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.cli("verify"); err == nil || !strings.Contains(err.Error(), "checkpoint key") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("verify without the key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(in.args[1], "checkpoint.key")); err == nil {
		t.Fatal("a new key was made")
	}
}

// The CLI prints times in the organization's zone (--time-zone), not the
// machine's: a token made at 20:00 UTC was made at 04:00 the next day in
// Beijing.
func TestCLITimesInTheOrganizationsZone(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	env := &Env{Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }, Now: func() time.Time { return at }}
	var out, errOut strings.Builder
	env.Stdout, env.Stderr = &out, &errOut
	if err := Run(context.Background(), []string{"token", "create", "--data", dir, "--name", "t", "--scope", "ingest"}, env); err != nil {
		t.Fatalf("token create: %v %s", err, errOut.String())
	}
	out.Reset()
	if err := Run(context.Background(), []string{"token", "list", "--data", dir}, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2026-12-01 04:00") {
		t.Fatalf("token list in Asia/Shanghai:\n%s", out.String())
	}
}
