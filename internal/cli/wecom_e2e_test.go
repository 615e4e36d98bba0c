//go:build linux || darwin || freebsd || netbsd

package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"charter/internal/capture/wecom/sdk/sdktest"
	"charter/internal/wecom"
)

const (
	wecomCorp   = "wwe2e0000000000001"
	wecomSecret = "archive-app-secret"
	wecomToken  = "QDG6eK"
	wecomAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// wecomArchive is the corp's chat archive as the stand-in SDK serves it:
// each record encrypted as the vendor hands it out (the random key under
// the corp's RSA key, the message under the random key).
type wecomArchive struct {
	t    *testing.T
	fake *sdktest.Fake
	key  *rsa.PrivateKey
	pem  string // the private key's file
}

func newWeComArchive(t *testing.T) *wecomArchive {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "v1.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &wecomArchive{t: t, fake: sdktest.New(t, wecomCorp, wecomSecret), key: key, pem: p}
}

// add puts a text message of room at seq.
func (w *wecomArchive) add(seq int64, room, from, text string) {
	w.put(seq, map[string]any{"from": from, "roomid": room, "msgtype": "text", "text": map[string]string{"content": text}})
}

// addFile puts a file record of room at seq whose bytes the SDK serves
// through GetMediaData under fileID.
func (w *wecomArchive) addFile(seq int64, room, from, name, fileID string, data []byte) {
	w.fake.AddMedia(fileID, data, int32(len(data)))
	w.put(seq, map[string]any{"from": from, "roomid": room, "msgtype": "file",
		"file": map[string]any{"md5sum": "0", "filename": name, "fileext": "docx", "filesize": len(data), "sdkfileid": fileID}})
}

// put seals a record (msgid, action, tolist and msgtime added) at seq.
func (w *wecomArchive) put(seq int64, msg map[string]any) {
	id := fmt.Sprintf("wecom-e2e-%d", seq)
	msg["msgid"], msg["action"], msg["tolist"], msg["msgtime"] = id, "send", []string{"lisi"}, time.Now().UnixMilli()
	plain, _ := json.Marshal(msg)
	w.fake.AddChat(uint64(seq), sdktest.Seal(w.t, &w.key.PublicKey, 1, seq, id, plain))
}

// fakeContactAPI stands in for WeCom's server API (the vendor's service
// cannot run here): gettoken and externalcontact/groupchat/get, as their
// documents (91039, 92122) answer.
func fakeContactAPI(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","access_token":"tok","expires_in":7200}`)
	})
	mux.HandleFunc("/cgi-bin/externalcontact/groupchat/get", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ChatID string `json:"chat_id"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","group_chat":{"chat_id":%q,"name":"客户交流群","owner":"zhangsan","create_time":%d,
			"member_list":[{"userid":"zhangsan","type":1,"join_time":%d,"join_scene":1},{"userid":"wmEXTERNAL","type":2,"join_time":%d,"join_scene":1,"invitor":{"userid":"zhangsan"}}],
			"admin_list":[],"member_version":"v1"}}`, in.ChatID, time.Now().Unix()-60, time.Now().Unix()-60, time.Now().Unix()-30)
	})
	mux.HandleFunc("/cgi-bin/externalcontact/groupchat/list", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","group_chat_list":[],"next_cursor":""}`)
	})
	// The archive app's view of an internal group (document 92951) and its
	// members' consent (91782).
	mux.HandleFunc("/cgi-bin/msgaudit/groupchat/get", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","roomname":"财务处内部群","creator":"zhangsan","room_create_time":%d,"notice":"",
			"members":[{"memberid":"zhangsan","jointime":%d},{"memberid":"lisi","jointime":%d}]}`, time.Now().Unix()-3600, time.Now().Unix()-3600, time.Now().Unix()-3000)
	})
	mux.HandleFunc("/cgi-bin/msgaudit/check_room_agree", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","agreeinfo":[]}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestWeComEndToEnd: Charter pulls the WeCom archive through the vendor's
// SDK (a stand-in C library with the header's calls) as serve runs, by hand
// with `charter wecom pull --once`, and at once when WeCom's
// msgaudit_notify callback says there is more; every record is decrypted,
// archived once and scanned, a break in seq is a system alert, and a
// customer group created outside the registry is alerted on from its
// change_external_chat callback, with no message read.
func TestWeComEndToEnd(t *testing.T) {
	arch := newWeComArchive(t)
	api := fakeContactAPI(t)
	env := map[string]string{"CHARTER_WECOM_CORP_ID": wecomCorp, "CHARTER_WECOM_SECRET": wecomSecret, "CHARTER_WECOM_SDK": arch.fake.Path,
		"CHARTER_WECOM_PRIVATE_KEYS": "1=" + arch.pem, "CHARTER_WECOM_PULL_EVERY": "1h", "CHARTER_WECOM_API_BASE": api.URL,
		"CHARTER_WECOM_CALLBACK_TOKEN": wecomToken, "CHARTER_WECOM_CALLBACK_AES_KEY": wecomAESKey}
	in := startCharterEnv(t, "sqlite", env)
	admin := in.login("admin", testAdminPassword)
	gid := in.registeredGroup(admin, "WeComFinance", "wrFinance")
	officer := in.officer(admin)
	type alertRow struct {
		Rule, Excerpt string
		RoomID        string `json:"room_id"`
	}
	alerts := func(rule string) []alertRow {
		var out struct{ Items []alertRow }
		in.call("GET", "/api/v1/alerts?rule="+rule, officer, nil, &out)
		return out.Items
	}

	// Four records with a gap in seq, pulled by hand, with progress.
	arch.add(1, "wrFinance", "zhangsan", "项目周报已发")
	arch.add(2, "wrFinance", "zhangsan", "测试 key: AKIAZ3MSJV4WWNKWW5FJ")
	arch.add(3, "wrFinance", "zhangsan", "第三条")
	arch.add(6, "wrFinance", "zhangsan", "第六条")
	out, errOut, err := in.cli("wecom pull", "--once")
	if err != nil || !strings.Contains(out, "archived a batch of") || !strings.Contains(out, "seq now 6") {
		t.Fatalf("wecom pull --once: %v\n%s%s", err, out, errOut)
	}
	var found searchAnswer
	in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d", gid), officer, nil, &found)
	texts := map[string]int{}
	for _, it := range found.Items {
		texts[it.Text]++
	}
	if len(found.Items) != 4 || texts["第六条"] != 1 || texts["项目周报已发"] != 1 {
		t.Fatalf("archived %v, want the four records once each\n%s", texts, in.stderr.String())
	}
	if len(alerts("credential.aws_access_key")) != 1 {
		t.Errorf("the pulled credential raised no alert")
	}
	var room struct {
		Items []struct {
			RoomID  string `json:"room_id"`
			Name    string
			Members []string
		}
	}
	in.call("GET", "/api/v1/rooms?platform=wecom", officer, nil, &room)
	if len(room.Items) != 1 || room.Items[0].Name != "财务处内部群" || strings.Join(room.Items[0].Members, ",") != "zhangsan,lisi" {
		t.Errorf("the internal group the archive named is in the inventory as %+v", room.Items)
	}
	if gap := alerts("system.wecom_seq_gap"); len(gap) != 1 || !strings.Contains(gap[0].Excerpt, "seq 4 to 5 missing: 2 records") {
		t.Errorf("seq gap alerts %+v, want seq 4 to 5", gap)
	}

	// A callback: msgaudit_notify pulls at once (serve's own pace is an hour).
	cr, err := wecom.NewCrypto(wecomToken, wecomAESKey, wecomCorp)
	if err != nil {
		t.Fatal(err)
	}
	callback := func(xml string) int {
		enc, _ := cr.Encrypt([]byte(xml))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		q := url.Values{"msg_signature": {cr.Signature(ts, "nonce", enc)}, "timestamp": {ts}, "nonce": {"nonce"}}
		resp, err := http.Post(in.URL+"/api/v1/wecom/callback?"+q.Encode(), "text/xml",
			strings.NewReader("<xml><ToUserName><![CDATA["+wecomCorp+"]]></ToUserName><Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	arch.add(7, "wrFinance", "zhangsan", "回调之后的消息")
	if code := callback(`<xml><ToUserName><![CDATA[` + wecomCorp + `]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>` +
		strconv.FormatInt(time.Now().Unix(), 10) + `</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[msgaudit_notify]]></Event><AgentID>2000004</AgentID></xml>`); code != 200 {
		t.Fatalf("msgaudit_notify: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		found = searchAnswer{}
		in.call("GET", fmt.Sprintf("/api/v1/messages?group=%d&q=%s", gid, url.QueryEscape("回调之后")), officer, nil, &found)
		if len(found.Items) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the record after msgaudit_notify was not pulled\n%s", in.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A file: fetched through the SDK's GetMediaData into the attachment
	// store, read, and the credential inside alerted on, naming the file.
	arch.addFile(8, "wrFinance", "zhangsan", "交接清单.docx", "sdkfile-e2e-1", docx(t, "交接清单", "测试环境 key AKIAZ3MSJV4WWNKWW5FM"))
	if out, errOut, err := in.cli("wecom pull", "--once"); err != nil {
		t.Fatalf("wecom pull --once: %v\n%s%s", err, out, errOut)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		hit := false
		for _, a := range alerts("credential.aws_access_key") {
			hit = hit || strings.Contains(a.Excerpt, "交接清单.docx")
		}
		if hit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the WeCom file's credential raised no alert\n%s", in.stderr.String())
		}
	}

	// A customer group made outside the registry: known, and alerted on,
	// from its creation, with no message read.
	if code := callback(`<xml><ToUserName><![CDATA[` + wecomCorp + `]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>` +
		strconv.FormatInt(time.Now().Unix(), 10) + `</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>` +
		`<ChatId><![CDATA[wrCUSTOMER]]></ChatId><ChangeType><![CDATA[create]]></ChangeType></xml>`); code != 200 {
		t.Fatalf("change_external_chat: %d", code)
	}
	var un []alertRow
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(un) == 0; time.Sleep(50 * time.Millisecond) {
		for _, a := range alerts("registry.unregistered_room") {
			if a.RoomID == "wrCUSTOMER" {
				un = append(un, a)
			}
		}
	}
	if len(un) != 1 || un[0].Excerpt != "system" {
		t.Errorf("the unregistered customer group's alerts %+v, want one with no content", un)
	}
	var rooms struct {
		Items []struct {
			RoomID  string `json:"room_id"`
			Name    string
			Creator string
			Members []string
		}
	}
	in.call("GET", "/api/v1/rooms?platform=wecom&unregistered=true", officer, nil, &rooms)
	if len(rooms.Items) != 1 || rooms.Items[0].Name != "客户交流群" || strings.Join(rooms.Items[0].Members, ",") != "zhangsan,wmEXTERNAL" {
		t.Errorf("inventory %+v", rooms.Items)
	}

	// A forged callback is refused.
	q := url.Values{"msg_signature": {"forged"}, "timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}, "nonce": {"n"}}
	resp, err := http.Post(in.URL+"/api/v1/wecom/callback?"+q.Encode(), "text/xml", strings.NewReader("<xml><Encrypt>x</Encrypt></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("a forged callback: %d, want 403", resp.StatusCode)
	}
}
