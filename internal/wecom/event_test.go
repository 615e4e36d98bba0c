package wecom_test

import (
	"reflect"
	"testing"
	"time"

	"charter/internal/errs"
	"charter/internal/errs/errstest"
	"charter/internal/wecom"
)

// The event bodies are the examples of WeCom's documents: msgaudit_notify
// from "产生会话回调事件" (document 95039, as quoted in WxJava's
// WxCpMsgAuditTest), change_external_chat from "客户群变更事件" (document 92130).
func TestParseEvent(t *testing.T) {
	cases := []struct {
		name string
		xml  string
		want wecom.Event
	}{
		{"msgaudit_notify", `<xml>
   <ToUserName><![CDATA[CorpID]]></ToUserName>
   <FromUserName><![CDATA[sys]]></FromUserName>
   <CreateTime>1629101687</CreateTime>
   <MsgType><![CDATA[event]]></MsgType>
   <AgentID>2000004</AgentID>
   <Event><![CDATA[msgaudit_notify]]></Event>
</xml>`, wecom.Event{ToUserName: "CorpID", FromUserName: "sys", CreateTime: time.Unix(1629101687, 0).UTC(), MsgType: "event",
			AgentID: "2000004", Event: wecom.EventMsgAuditNotify}},
		{"a customer group created", `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
			`<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>` +
			`<ChatId><![CDATA[CHAT_ID]]></ChatId><ChangeType><![CDATA[create]]></ChangeType></xml>`,
			wecom.Event{ToUserName: "toUser", FromUserName: "sys", CreateTime: time.Unix(1403610513, 0).UTC(), MsgType: "event",
				Event: wecom.EventChangeExternalChat, ChatID: "CHAT_ID", ChangeType: wecom.ChangeCreate}},
		{"members added", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName>
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_chat]]></Event>
	<ChatId><![CDATA[CHAT_ID]]></ChatId>
	<ChangeType><![CDATA[update]]></ChangeType>
	<UpdateDetail><![CDATA[add_member]]></UpdateDetail>
	<JoinScene>1</JoinScene>
	<QuitScene>0</QuitScene>
	<MemChangeCnt>10</MemChangeCnt>
	<MemChangeList>
		<Item>Jack</Item>
		<Item>Rose</Item>
	</MemChangeList>
	<LastMemVer>9c3f97c2ada667dfb5f6d03308d963e1</LastMemVer>
	<CurMemVer>71217227bbd112ecfe3a49c482195cb4</CurMemVer>
</xml>`, wecom.Event{ToUserName: "toUser", FromUserName: "sys", CreateTime: time.Unix(1403610513, 0).UTC(), MsgType: "event",
			Event: wecom.EventChangeExternalChat, ChatID: "CHAT_ID", ChangeType: wecom.ChangeUpdate, UpdateDetail: wecom.UpdateAddMember,
			JoinScene: 1, MemChangeCnt: 10, MemChangeList: []string{"Jack", "Rose"},
			LastMemVer: "9c3f97c2ada667dfb5f6d03308d963e1", CurMemVer: "71217227bbd112ecfe3a49c482195cb4"}},
		{"a customer group dismissed", `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
			`<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>` +
			`<ChatId><![CDATA[CHAT_ID]]></ChatId><ChangeType><![CDATA[dismiss]]></ChangeType></xml>`,
			wecom.Event{ToUserName: "toUser", FromUserName: "sys", CreateTime: time.Unix(1403610513, 0).UTC(), MsgType: "event",
				Event: wecom.EventChangeExternalChat, ChatID: "CHAT_ID", ChangeType: wecom.ChangeDismiss}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := wecom.ParseEvent([]byte(c.xml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
	t.Run("not XML", func(t *testing.T) {
		_, err := wecom.ParseEvent([]byte("hello"))
		errstest.Want(t, err, errs.Invalid, "")
	})
}

// One callback through the whole path the HTTP layer will take: the POST
// body is opened, checked and parsed into the event WeCom sent.
func TestCallbackRoundTrip(t *testing.T) {
	c := mustCrypto(t, "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee")
	event := `<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
		`<CreateTime>1764576000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>` +
		`<ChatId><![CDATA[wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType>` +
		`<UpdateDetail><![CDATA[change_name]]></UpdateDetail></xml>`
	enc, err := c.Encrypt([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	body := "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
	msg, err := c.DecryptMessage(c.Signature("1764576000", "391", enc), "1764576000", "391", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	e, err := wecom.ParseEvent(msg)
	if err != nil {
		t.Fatal(err)
	}
	if e.Event != wecom.EventChangeExternalChat || e.ChangeType != wecom.ChangeUpdate || e.UpdateDetail != wecom.UpdateChangeName ||
		e.ChatID != "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA" || !e.CreateTime.Equal(time.Unix(1764576000, 0)) {
		t.Fatalf("got %+v", e)
	}
}
