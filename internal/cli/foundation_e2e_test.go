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

// TestFoundationEndToEnd is the accounts' smoke test: the whole program over
// HTTP and through its commands, on both engines. The behaviour itself is
// tested beside it, in internal/account; who may call which route, in httpapi.
func TestFoundationEndToEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine string) {
		in := startCharter(t, engine)
		must := func(code, want int, what string) {
			t.Helper()
			if code != want {
				t.Fatalf("%s: %d, want %d", what, code, want)
			}
		}
		var health map[string]string
		if code := in.call("GET", "/healthz", "", nil, &health); code != 200 || health["engine"] != engine {
			t.Fatalf("healthz: %d %v", code, health)
		}
		admin := in.login("admin", testAdminPassword)
		must(in.call("POST", "/api/v1/org-units", admin, map[string]string{"name": "Finance"}, nil), 201, "org unit")
		must(in.call("POST", "/api/v1/users", admin, map[string]any{"username": "chen.jing", "password": "chen-jing-password",
			"real_name": "陈静", "org_unit": "Finance", "verified": true, "roles": []map[string]string{{"role": "approver", "org_unit": "Finance"}}}, nil), 201, "user")
		chen := in.login("chen.jing", "chen-jing-password")
		var me struct {
			Username string
			Roles    []struct{ Role, OrgUnit string }
		}
		if code := in.call("GET", "/api/v1/me", chen, nil, &me); code != 200 || me.Username != "chen.jing" || len(me.Roles) != 2 {
			t.Fatalf("me: %d %+v", code, me)
		}
		must(in.call("GET", "/api/v1/users", chen, nil, nil), 403, "an approver listing users")

		// The HR directory, with Matrix handles, and a machine token through the CLI.
		csv := filepath.Join(t.TempDir(), "hr.csv")
		os.WriteFile(csv, []byte("username,real_name,org_unit,verified,matrix\nliu.yang,刘洋,Finance,true,@liu.yang:example.org\n"+
			",无名,Finance,true,\nsun.li,孙丽,Finance,true,\nzhou.yi,周毅,Finance,true,zhou.yi@example.org\n"), 0o600)
		out, errOut, err := in.cli("user import", csv)
		if err == nil || !strings.Contains(out, "2 created, 0 updated, 1 handles added, 2 rejected") || !strings.Contains(errOut, "line 3: username: required") ||
			!strings.Contains(errOut, `line 5: matrix: "zhou.yi@example.org" is not a Matrix user ID`) {
			t.Fatalf("user import: %v\n%s\n%s", err, out, errOut)
		}
		if out, _, err = in.cli("user handles", "liu.yang"); err != nil || !strings.Contains(out, "@liu.yang:example.org") {
			t.Fatalf("user handles: %v\n%s", err, out)
		}
		if out, _, _ = in.cli("user import", csv); !strings.Contains(out, "0 created, 2 updated, 0 handles added, 2 rejected") {
			t.Fatalf("user import again: %s", out)
		}
		if _, _, err = in.cli("user handle", "--platform", "matrix", "--handle", "@sun.li", "sun.li"); err == nil || !strings.Contains(err.Error(), `handle: "@sun.li" is not a Matrix user ID`) {
			t.Fatalf("user handle without a server: %v", err)
		}
		must(in.call("POST", "/api/v1/users/sun.li/handles", admin, map[string]string{"platform": "matrix", "handle": "sun.li:example.org"}, nil), 400, "a Matrix handle without @")
		out, _, err = in.cli("token create", "--name", "wecom-archive", "--scope", "ingest")
		if err != nil || !strings.HasPrefix(out, "cht_") {
			t.Fatalf("token create: %v %q", err, out)
		}
		must(in.call("GET", "/api/v1/users", strings.TrimSpace(out), nil, nil), 403, "ingest token listing users")

		// A read token reads the trail until it is revoked; a failed sign-in is on it with the address.
		var tok struct {
			ID    int64
			Token string
		}
		must(in.call("POST", "/api/v1/tokens", admin, map[string]string{"name": "auditor-bot", "scope": "read"}, &tok), 201, "read token")
		var audit struct {
			Items []struct{ Actor, Action, Object, Addr string }
		}
		if code := in.call("GET", "/api/v1/audit?action=user.create", tok.Token, nil, &audit); code != 200 || len(audit.Items) != 4 || audit.Items[3].Actor != "system" {
			t.Fatalf("audit via read token: %d %+v", code, audit)
		}
		in.call("POST", "/api/v1/login", "", map[string]string{"username": "chen.jing", "password": "not-the-password"}, nil)
		if code := in.call("GET", "/api/v1/audit?actor=chen.jing&action=login.fail", admin, nil, &audit); code != 200 || len(audit.Items) != 1 || audit.Items[0].Addr != "127.0.0.1" {
			t.Fatalf("failed sign-in audit: %d %+v", code, audit)
		}
		must(in.call("POST", "/api/v1/tokens/"+itoa(tok.ID)+"/revoke", admin, nil, nil), 200, "revoke")
		must(in.call("GET", "/api/v1/audit", tok.Token, nil, nil), 401, "revoked token")
		must(in.call("POST", "/api/v1/logout", chen, nil, nil), 200, "logout")
		must(in.call("GET", "/api/v1/me", chen, nil, nil), 401, "after logout")

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
