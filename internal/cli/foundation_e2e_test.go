package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charter/internal/store"

	"charter/internal/store/storetest"
)

// TestFoundationEndToEnd boots the whole program and drives it over HTTP and
// through its other commands, on both engines.
func TestFoundationEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine)
		var health map[string]string
		if code := in.call("GET", "/healthz", "", nil, &health); code != 200 || health["engine"] != engine {
			t.Fatalf("healthz: %d %v", code, health)
		}
		admin := in.login("admin", testAdminPassword)

		// Org units and users through the API.
		for _, u := range []map[string]string{{"name": "总部"}, {"name": "Finance", "parent": "总部"}} {
			if code := in.call("POST", "/api/v1/org-units", admin, u, nil); code != 201 {
				t.Fatalf("create org unit %v: %d", u, code)
			}
		}
		var created map[string]any
		code := in.call("POST", "/api/v1/users", admin, map[string]any{"username": "chen.jing", "password": "chen-jing-password",
			"display_name": "小陈", "real_name": "陈静", "employee_no": "E1001", "org_unit": "Finance", "verified": true,
			"roles": []map[string]string{{"role": "approver", "org_unit": "Finance"}}}, &created)
		if code != 201 {
			t.Fatalf("create user: %d %v", code, created)
		}
		var errBody struct {
			Error struct{ Code, Message, Field string }
		}
		if code := in.call("POST", "/api/v1/users", admin, map[string]any{"username": "x.y", "real_name": "X", "org_unit": "Nowhere"}, &errBody); code != 400 || errBody.Error.Field != "org_unit" {
			t.Fatalf("unknown org unit: %d %+v", code, errBody)
		}
		chen := in.login("chen.jing", "chen-jing-password")
		var me struct {
			Username, DisplayName, RealName string
			Roles                           []struct{ Role, OrgUnit string } `json:"roles"`
		}
		if code := in.call("GET", "/api/v1/me", chen, nil, &me); code != 200 || me.Username != "chen.jing" || len(me.Roles) != 2 {
			t.Fatalf("me: %d %+v", code, me)
		}
		if code := in.call("GET", "/api/v1/users", chen, nil, nil); code != 403 {
			t.Fatalf("an approver listing users: %d, want 403", code)
		}
		if code := in.call("PATCH", "/api/v1/users/chen.jing", admin, map[string]any{"display_name": "陈经理"}, nil); code != 200 {
			t.Fatalf("patch: %d", code)
		}

		// Users from the HR directory through the CLI: bad rows named, good rows kept.
		csv := filepath.Join(t.TempDir(), "hr.csv")
		os.WriteFile(csv, []byte("username,real_name,org_unit,verified\nliu.yang,刘洋,Finance,true\n,无名,Finance,true\nsun.li,孙丽,Finance,true\n"), 0o600)
		out, errOut, err := in.cli("user import", csv)
		if err == nil || !strings.Contains(out, "2 created") || !strings.Contains(errOut, "line 3: username: required") {
			t.Fatalf("user import: %v\n%s\n%s", err, out, errOut)
		}

		// Machine tokens: created by the CLI, printed once, limited to their scope.
		out, _, err = in.cli("token create", "--name", "wecom-archive", "--scope", "ingest")
		if err != nil || !strings.HasPrefix(out, "cht_") {
			t.Fatalf("token create: %v %q", err, out)
		}
		ingest := strings.TrimSpace(out)
		if code := in.call("GET", "/api/v1/users", ingest, nil, nil); code != 403 {
			t.Fatalf("ingest token listing users: %d, want 403", code)
		}
		var tok struct {
			ID    int64
			Token string
		}
		if code := in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "auditor-bot", "scope": "read"}, &tok); code != 201 {
			t.Fatalf("create read token: %d", code)
		}
		var audit struct {
			Items []struct{ Actor, Action, Object, Addr string }
		}
		if code := in.call("GET", "/api/v1/audit?action=user.create", tok.Token, nil, &audit); code != 200 || len(audit.Items) != 4 || audit.Items[3].Actor != "system" {
			t.Fatalf("audit via read token: %d %+v", code, audit)
		}
		if code := in.call("POST", "/api/v1/org-units", tok.Token, map[string]string{"name": "X"}, nil); code != 403 {
			t.Fatalf("read token writing: %d, want 403", code)
		}
		in.call("POST", "/api/v1/login", "", map[string]string{"username": "chen.jing", "password": "not-the-password"}, nil)
		if code := in.call("GET", "/api/v1/audit?actor=chen.jing&action=login.fail", admin, nil, &audit); code != 200 || len(audit.Items) != 1 || audit.Items[0].Addr != "127.0.0.1" {
			t.Fatalf("failed sign-in audit: %d %+v", code, audit)
		}
		if code := in.call("POST", "/api/v1/tokens/"+itoa(tok.ID)+"/revoke", admin, nil, nil); code != 200 {
			t.Fatalf("revoke: %d", code)
		}
		if code := in.call("GET", "/api/v1/audit", tok.Token, nil, nil); code != 401 {
			t.Fatalf("revoked token: %d, want 401", code)
		}
		if code := in.call("POST", "/api/v1/logout", chen, nil, nil); code != 200 {
			t.Fatalf("logout: %d", code)
		}
		if code := in.call("GET", "/api/v1/me", chen, nil, nil); code != 401 {
			t.Fatalf("after logout: %d, want 401", code)
		}

		// The chain verifies, then a tampered row is named.
		if out, _, err := in.cli("verify"); err != nil || !strings.Contains(out, "chain intact") {
			t.Fatalf("verify: %v %s", err, out)
		}
		db := openSame(t, in)
		storetest.Tamper(t, db)
		if err := db.Exec(context.Background(), "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 4"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := in.cli("verify"); err == nil || !strings.Contains(err.Error(), "broken at seq 4") {
			t.Fatalf("verify after tampering: %v", err)
		}
	})
}

func itoa(n int64) string { return formatInt(n) }

// openSame opens the database an instance runs on, as a second client.
func openSame(t *testing.T, in *instance) store.DB {
	t.Helper()
	var db store.DB
	var err error
	if in.args[0] == "--database-url" {
		db, err = store.OpenPostgres(context.Background(), in.args[1])
	} else {
		db, err = store.OpenSQLite(context.Background(), filepath.Join(in.args[1], "charter.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFirstStartPrintsGeneratedPassword(t *testing.T) {
	dir := t.TempDir()
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, &Env{Stdout: &out, Stderr: &syncBuffer{}, Getenv: func(string) string { return "" }})
	}()
	waitFor(t, &out, "serving on")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "username: admin") || !strings.Contains(out.String(), "password: ") {
		t.Fatalf("first start did not print the admin password:\n%s", out.String())
	}
	// A second start finds the admin and prints no password.
	var out2 syncBuffer
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, &Env{Stdout: &out2, Stderr: &syncBuffer{}, Getenv: func(string) string { return "" }})
	}()
	waitFor(t, &out2, "serving on")
	cancel()
	<-done
	if strings.Contains(out2.String(), "password") {
		t.Fatalf("second start printed a password:\n%s", out2.String())
	}
}

func TestUsage(t *testing.T) {
	var o, e syncBuffer
	err := Run(context.Background(), []string{"frobnicate"}, &Env{Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) || !strings.Contains(e.String(), "serve") {
		t.Fatalf("unknown command: %v\n%s", err, e.String())
	}
}
