package wecom

import (
	"encoding/xml"
	"time"

	"charter/internal/errs"
)

// Events Charter acts on. msgaudit_notify ("产生会话回调事件",
// https://developer.work.weixin.qq.com/document/path/95039) says only that
// new archive messages wait: it carries no content, so the receiver pulls
// now. change_external_chat ("客户群变更事件",
// https://developer.work.weixin.qq.com/document/path/92130) says a customer
// group was created, changed or dismissed; the details come from
// Client.GroupChat.
const (
	EventMsgAuditNotify     = "msgaudit_notify"
	EventChangeExternalChat = "change_external_chat"
)

// ChangeType of a change_external_chat event.
const (
	ChangeCreate  = "create"
	ChangeUpdate  = "update"
	ChangeDismiss = "dismiss"
)

// UpdateDetail of a change_external_chat update.
const (
	UpdateAddMember    = "add_member"
	UpdateDelMember    = "del_member"
	UpdateChangeOwner  = "change_owner"
	UpdateChangeName   = "change_name"
	UpdateChangeNotice = "change_notice"
)

// Event is a decrypted callback. Fields an event does not carry stay zero.
type Event struct {
	ToUserName   string // the corp id
	FromUserName string // "sys" for system events
	CreateTime   time.Time
	MsgType      string // "event" for the events above
	Event        string
	AgentID      string

	// change_external_chat
	ChatID        string
	ChangeType    string
	UpdateDetail  string
	JoinScene     int // add_member: how they joined, numbered as in document 92130
	QuitScene     int // del_member: how they left, numbered likewise
	MemChangeCnt  int
	MemChangeList []string // the userids or external userids that joined or left
	LastMemVer    string
	CurMemVer     string
}

type rawEvent struct {
	ToUserName    string   `xml:"ToUserName"`
	FromUserName  string   `xml:"FromUserName"`
	CreateTime    int64    `xml:"CreateTime"`
	MsgType       string   `xml:"MsgType"`
	Event         string   `xml:"Event"`
	AgentID       string   `xml:"AgentID"`
	ChatID        string   `xml:"ChatId"`
	ChangeType    string   `xml:"ChangeType"`
	UpdateDetail  string   `xml:"UpdateDetail"`
	JoinScene     int      `xml:"JoinScene"`
	QuitScene     int      `xml:"QuitScene"`
	MemChangeCnt  int      `xml:"MemChangeCnt"`
	MemChangeList []string `xml:"MemChangeList>Item"`
	LastMemVer    string   `xml:"LastMemVer"`
	CurMemVer     string   `xml:"CurMemVer"`
}

// ParseEvent reads the XML DecryptMessage returns.
func ParseEvent(msg []byte) (*Event, error) {
	var r rawEvent
	if err := xml.Unmarshal(msg, &r); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Message: "wecom callback: the decrypted message is not an event", Err: err}
	}
	e := &Event{
		ToUserName: r.ToUserName, FromUserName: r.FromUserName, MsgType: r.MsgType, Event: r.Event, AgentID: r.AgentID,
		ChatID: r.ChatID, ChangeType: r.ChangeType, UpdateDetail: r.UpdateDetail,
		JoinScene: r.JoinScene, QuitScene: r.QuitScene, MemChangeCnt: r.MemChangeCnt, MemChangeList: r.MemChangeList,
		LastMemVer: r.LastMemVer, CurMemVer: r.CurMemVer,
	}
	if r.CreateTime != 0 {
		e.CreateTime = time.Unix(r.CreateTime, 0).UTC()
	}
	return e, nil
}
