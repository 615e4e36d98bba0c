package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/wecom"
)

var ctx = context.Background()

func (f *fakeWeCom) client(t *testing.T, secret string) *wecom.Client {
	t.Helper()
	c, err := wecom.NewClient(corpID, secret, wecom.Options{BaseURL: f.srv.URL, Now: f.clock.Now, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantCode checks that err is WeCom's errcode, kept for the caller.
func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	var api *wecom.APIError
	if !errors.As(err, &api) || api.Code != code {
		t.Fatalf("got %v, want errcode %d", err, code)
	}
	errstest.Want(t, err, errs.Unavailable, "")
}

func TestAccessToken(t *testing.T) {
	f := newFake(t)
	c := f.client(t, contactSecret)
	get := func() error { _, err := c.GroupChat(ctx, docChatID, false); return err }
	must := func(step string, wantTokens, wantCalls int) {
		t.Helper()
		if err := get(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if f.tokenRequests() != wantTokens || f.count("externalcontact/groupchat/get") != wantCalls {
			t.Fatalf("%s: %d token requests and %d calls, want %d and %d", step,
				f.tokenRequests(), f.count("externalcontact/groupchat/get"), wantTokens, wantCalls)
		}
	}

	must("first call", 1, 1)
	must("a second call keeps the token", 1, 2)
	f.clock.Advance(time.Hour)
	must("an hour later", 1, 3)
	f.clock.Advance(tokenExpiresIn*time.Second - time.Hour - 301*time.Second)
	must("301 seconds before expires_in", 1, 4)
	f.clock.Advance(2 * time.Second)
	must("less than five minutes before, a new token", 2, 5)

	f.expireTokens()
	must("WeCom ends the token early: 42001, a new token, the call again", 3, 7)
	must("and keeps the new one", 3, 8)

	f.revokeTokens()
	must("WeCom no longer knows the token: 40014, a new token, the call again", 4, 10)

	t.Run("refreshed once only", func(t *testing.T) {
		f.failNext("externalcontact/groupchat/get", wecom.CodeTokenExpired, wecom.CodeTokenExpired)
		tokens, calls := f.tokenRequests(), f.count("externalcontact/groupchat/get")
		wantCode(t, get(), wecom.CodeTokenExpired)
		if f.tokenRequests() != tokens+1 || f.count("externalcontact/groupchat/get") != calls+2 {
			t.Fatalf("%d token requests and %d calls", f.tokenRequests()-tokens, f.count("externalcontact/groupchat/get")-calls)
		}
	})
	t.Run("one token for concurrent callers", func(t *testing.T) {
		f := newFake(t)
		c := f.client(t, contactSecret)
		var wg sync.WaitGroup
		errc := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, err := c.GroupChat(ctx, docChatID, false)
				errc <- err
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := f.tokenRequests(); n != 1 {
			t.Fatalf("%d token requests", n)
		}
	})
}

func TestGettokenRefused(t *testing.T) {
	f := newFake(t)
	t.Run("a wrong secret", func(t *testing.T) {
		_, err := f.client(t, "not-a-secret").GroupChat(ctx, docChatID, false)
		wantCode(t, err, 40001)
		if strings.Contains(err.Error(), "not-a-secret") {
			t.Fatalf("the secret is in the error: %v", err)
		}
	})
	t.Run("a wrong corp id", func(t *testing.T) {
		c, err := wecom.NewClient("ww0000000000000000", contactSecret, wecom.Options{BaseURL: f.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GroupChat(ctx, docChatID, false)
		wantCode(t, err, 40013)
	})
}

// Each app has its own secret and its tokens serve only its APIs, so
// Charter makes one client per secret.
func TestOneClientPerSecret(t *testing.T) {
	f := newFake(t)
	contact, archive := f.client(t, contactSecret), f.client(t, archiveSecret)
	if _, err := contact.GroupChat(ctx, docChatID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.ArchiveRoom(ctx, docRoomID); err != nil {
		t.Fatal(err)
	}
	_, err := archive.GroupChat(ctx, docChatID, false)
	wantCode(t, err, 48002)
	if n := f.tokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want one per secret", n)
	}
}

func TestBusy(t *testing.T) {
	for _, code := range []int{wecom.CodeFreqOutOfLimit, wecom.CodeConcurrencyLimit, wecom.CodeSystemBusy} {
		t.Run(fmt.Sprintf("errcode %d twice, then the answer", code), func(t *testing.T) {
			f := newFake(t)
			f.failNext("msgaudit/groupchat/get", code, code)
			room, err := f.client(t, archiveSecret).ArchiveRoom(ctx, docRoomID)
			if err != nil {
				t.Fatal(err)
			}
			if room.Name != "蓦然回首" || f.count("msgaudit/groupchat/get") != 3 || f.tokenRequests() != 1 {
				t.Fatalf("%+v after %d calls and %d token requests", room, f.count("msgaudit/groupchat/get"), f.tokenRequests())
			}
		})
	}
	t.Run("gettoken busy", func(t *testing.T) {
		f := newFake(t)
		f.failNext("gettoken", wecom.CodeFreqOutOfLimit)
		if _, err := f.client(t, archiveSecret).ArchiveRoom(ctx, docRoomID); err != nil {
			t.Fatal(err)
		}
		if f.tokenRequests() != 2 {
			t.Fatalf("%d token requests", f.tokenRequests())
		}
	})
	t.Run("busy past the retries", func(t *testing.T) {
		f := newFake(t)
		f.failNext("msgaudit/groupchat/get", 45009, 45009, 45009, 45009)
		c, err := wecom.NewClient(corpID, archiveSecret, wecom.Options{BaseURL: f.srv.URL, Retries: 2, Backoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ArchiveRoom(ctx, docRoomID)
		wantCode(t, err, 45009)
		if n := f.count("msgaudit/groupchat/get"); n != 3 {
			t.Fatalf("%d calls, want 1 and 2 retries", n)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		f := newFake(t)
		f.failNext("msgaudit/groupchat/get", -1)
		c, _ := wecom.NewClient(corpID, archiveSecret, wecom.Options{BaseURL: f.srv.URL, Retries: -1})
		_, err := c.ArchiveRoom(ctx, docRoomID)
		wantCode(t, err, -1)
	})
	t.Run("the context ends the pause", func(t *testing.T) {
		f := newFake(t)
		f.failNext("msgaudit/groupchat/get", 45009)
		c, _ := wecom.NewClient(corpID, archiveSecret, wecom.Options{BaseURL: f.srv.URL, Backoff: time.Hour})
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.ArchiveRoom(short, docRoomID)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
			t.Fatalf("got %v after %v", err, time.Since(start))
		}
	})
}

func TestUnknownErrcode(t *testing.T) {
	f := newFake(t)
	f.failNext("msgaudit/groupchat/get", 301052)
	_, err := f.client(t, archiveSecret).ArchiveRoom(ctx, docRoomID)
	wantCode(t, err, 301052)
	for _, want := range []string{"msgaudit/groupchat/get", "errcode 301052", "msgaudit expired"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "archive-token-") {
		t.Errorf("the error names the token: %v", err)
	}
	if n := f.count("msgaudit/groupchat/get"); n != 1 {
		t.Fatalf("%d calls: an errcode that is not busy is not tried again", n)
	}
}

func TestGroupChatIDs(t *testing.T) {
	f := newFake(t)
	for i := range 7 {
		f.chats = append(f.chats, fmt.Sprintf("wrOgQhDgAAcwMTB7YmDkbeBs%06d", i))
	}
	c := f.client(t, contactSecret)
	ids, err := c.GroupChatIDs(ctx, wecom.GroupChatFilter{Limit: 3, Owners: []string{"abel"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, f.chats) {
		t.Fatalf("got %v", ids)
	}
	if len(f.lists) != 3 {
		t.Fatalf("%d pages, want 3", len(f.lists))
	}
	for i, want := range []string{"", "r9FqSqsI8fgNbHLH3", "r9FqSqsI8fgNbHLH6"} {
		r := f.lists[i]
		if r.Cursor != want || r.Limit != 3 || r.StatusFilter != 0 || r.OwnerFilter == nil || !reflect.DeepEqual(r.OwnerFilter.UserIDList, []string{"abel"}) {
			t.Fatalf("page %d asked %+v", i+1, r)
		}
	}

	t.Run("defaults: a page of 1000, no owner filter", func(t *testing.T) {
		f.lists = nil
		ids, err := c.GroupChatIDs(ctx, wecom.GroupChatFilter{Status: 1})
		if err != nil || len(ids) != 7 || len(f.lists) != 1 {
			t.Fatalf("%v, %v, %d pages", ids, err, len(f.lists))
		}
		if r := f.lists[0]; r.Limit != 1000 || r.StatusFilter != 1 || r.OwnerFilter != nil {
			t.Fatalf("asked %+v", r)
		}
	})
	t.Run("a cursor given twice", func(t *testing.T) {
		f.stuck = true
		defer func() { f.stuck = false }()
		_, err := c.GroupChatIDs(ctx, wecom.GroupChatFilter{Limit: 3})
		errstest.Want(t, err, errs.Unavailable, "")
	})
	for _, k := range []struct {
		name  string
		f     wecom.GroupChatFilter
		field string
	}{
		{"a page over 1000", wecom.GroupChatFilter{Limit: 1001}, "limit"},
		{"a negative page", wecom.GroupChatFilter{Limit: -1}, "limit"},
		{"an unknown status", wecom.GroupChatFilter{Status: 4}, "status_filter"},
		{"101 owners", wecom.GroupChatFilter{Owners: make([]string, 101)}, "owner_filter"},
	} {
		t.Run(k.name, func(t *testing.T) {
			calls := f.count("externalcontact/groupchat/list")
			_, err := c.GroupChatIDs(ctx, k.f)
			errstest.Want(t, err, errs.Invalid, k.field)
			if f.count("externalcontact/groupchat/list") != calls {
				t.Fatal("a refused filter was sent")
			}
		})
	}
}

func TestGroupChat(t *testing.T) {
	f := newFake(t)
	c := f.client(t, contactSecret)
	g, err := c.GroupChat(ctx, docChatID, true)
	if err != nil {
		t.Fatal(err)
	}
	joined := time.Unix(1572505491, 0).UTC()
	want := &wecom.GroupChat{ChatID: docChatID, Name: "销售客服群", Owner: "ZhuShengBen", CreateTime: time.Unix(1572505490, 0).UTC(),
		Notice: "文明沟通，拒绝脏话", Admins: []string{"sam", "pony"}, MemberVersion: "71217227bbd112ecfe3a49c482195cb4",
		Members: []wecom.GroupMember{
			{UserID: "abel", Type: wecom.MemberInternal, JoinTime: joined, JoinScene: 1, Invitor: "jack", GroupNickname: "客服小张", Name: "张三丰"},
			{UserID: "wmOgQhDgAAuXFJGwbve4g4iXknfOAAAA", Type: wecom.MemberExternal, JoinTime: joined, JoinScene: 1,
				GroupNickname: "顾客老王", Name: "王语嫣", UnionID: "ozynqsulJFCZ2z1aYeS8h-nuasdAAA"},
		}}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("got  %+v\nwant %+v", g, want)
	}
	if g.Members[0].Type.String() != "internal" || g.Members[1].Type.String() != "external" {
		t.Fatal("member types")
	}
	t.Run("without names", func(t *testing.T) {
		g, err := c.GroupChat(ctx, docChatID, false)
		if err != nil || g.Members[0].Name != "" || g.Members[0].GroupNickname != "客服小张" {
			t.Fatalf("%+v, %v", g, err)
		}
	})
	t.Run("no chat id", func(t *testing.T) {
		_, err := c.GroupChat(ctx, "", false)
		errstest.Want(t, err, errs.Invalid, "chat_id")
	})
}

func TestArchiveRoom(t *testing.T) {
	f := newFake(t)
	c := f.client(t, archiveSecret)
	room, err := c.ArchiveRoom(ctx, docRoomID)
	if err != nil {
		t.Fatal(err)
	}
	want := &wecom.Room{RoomID: docRoomID, Name: "蓦然回首", Creator: "ZhangWenChao", CreateTime: time.Unix(1592361604, 0).UTC(),
		Members: []wecom.RoomMember{{"ZhangWenChao", time.Unix(1592361605, 0).UTC()}, {"xujinsheng", time.Unix(1592377076, 0).UTC()}}}
	if !reflect.DeepEqual(room, want) {
		t.Fatalf("got  %+v\nwant %+v", room, want)
	}
	_, err = c.ArchiveRoom(ctx, "")
	errstest.Want(t, err, errs.Invalid, "room_id")
}

func TestRoomAgreements(t *testing.T) {
	f := newFake(t)
	c := f.client(t, archiveSecret)
	got, err := c.RoomAgreements(ctx, docAgreeRoomID)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1562766651, 0).UTC()
	want := []wecom.Agreement{
		{ExternalOpenID: "wmeDKaCQAAGdtHdiQWxVadfwV2HxNAAA", Status: wecom.Agree, ChangedAt: at},
		{ExternalOpenID: "wmeDKaCQAAIQ_p9ACyiopLBBJSGocAAA", Status: wecom.Disagree, ChangedAt: at},
		{ExternalOpenID: "wmeDKaCQAAIQ_p9ACnxacyBBJSGocAAA", Status: wecom.DefaultAgree, ChangedAt: at},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if !got[0].Agreed() || got[1].Agreed() || !got[2].Agreed() {
		t.Fatal("Agreed")
	}
	_, err = c.RoomAgreements(ctx, "")
	errstest.Want(t, err, errs.Invalid, "room_id")
}

func TestPermitUsers(t *testing.T) {
	f := newFake(t)
	c := f.client(t, archiveSecret)
	for _, e := range []wecom.Edition{wecom.EditionAll, wecom.EditionEnterprise} {
		ids, err := c.PermitUsers(ctx, e)
		if err != nil || !reflect.DeepEqual(ids, []string{"userid_111", "userid_222", "userid_333"}) {
			t.Fatalf("%v, %v", ids, err)
		}
	}
	if !reflect.DeepEqual(f.permit, []int{0, 3}) {
		t.Fatalf("asked types %v", f.permit)
	}
	_, err := c.PermitUsers(ctx, 4)
	errstest.Want(t, err, errs.Invalid, "type")
}

func TestNewClient(t *testing.T) {
	for _, k := range []struct {
		name, corp, secret, base, field string
	}{
		{"no corp id", "", "s", "", "corp_id"},
		{"no secret", "ww1", "", "", "secret"},
		{"a base URL without a scheme", "ww1", "s", "qyapi.weixin.qq.com", "base_url"},
		{"a base URL of another scheme", "ww1", "s", "ftp://qyapi.weixin.qq.com", "base_url"},
		{"a base URL with a query", "ww1", "s", "https://qyapi.weixin.qq.com/?x=1", "base_url"},
	} {
		t.Run(k.name, func(t *testing.T) {
			c, err := wecom.NewClient(k.corp, k.secret, wecom.Options{BaseURL: k.base})
			if c != nil {
				t.Fatal("a client was made")
			}
			errstest.Want(t, err, errs.Invalid, k.field)
		})
	}
}

// A WeCom that cannot be reached is unavailable, and the error names
// neither the secret nor the URL that carries it.
func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(nil)
	base := srv.URL
	srv.Close()
	c, err := wecom.NewClient(corpID, contactSecret, wecom.Options{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GroupChat(ctx, docChatID, false)
	errstest.Want(t, err, errs.Unavailable, "")
	for _, leak := range []string{contactSecret, "corpsecret", base} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("the error holds %q: %v", leak, err)
		}
	}
}
