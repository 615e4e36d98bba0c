package wecom

import (
	"context"
	"time"

	"charter/internal/errs"
)

// The archive app's APIs (会话内容存档). WeCom accepts only the token of the
// archive app's secret here.

// Room is an internal group as the archive knows it.
type Room struct {
	RoomID     string
	Name       string
	Creator    string // the creator's userid
	CreateTime time.Time
	Notice     string
	Members    []RoomMember
}

// RoomMember is a member of an internal group.
type RoomMember struct {
	UserID   string
	JoinTime time.Time
}

// ArchiveRoom resolves a roomid seen in the archive ("获取会话内容存档内部群信息",
// https://developer.work.weixin.qq.com/document/path/92951). WeCom has no
// list of internal groups: this is how one is named. It answers for
// internal groups only; errcode 301052 means the archive subscription has
// expired.
func (c *Client) ArchiveRoom(ctx context.Context, roomID string) (*Room, error) {
	if roomID == "" {
		return nil, errs.Field("room_id", "is empty")
	}
	var r struct {
		RoomName       string `json:"roomname"`
		Creator        string `json:"creator"`
		RoomCreateTime int64  `json:"room_create_time"`
		Notice         string `json:"notice"`
		Members        []struct {
			MemberID string `json:"memberid"`
			JoinTime int64  `json:"jointime"`
		} `json:"members"`
	}
	if err := c.post(ctx, "msgaudit/groupchat/get", roomRequest{roomID}, &r); err != nil {
		return nil, err
	}
	room := &Room{RoomID: roomID, Name: r.RoomName, Creator: r.Creator, CreateTime: unixTime(r.RoomCreateTime), Notice: r.Notice}
	for _, m := range r.Members {
		room.Members = append(room.Members, RoomMember{UserID: m.MemberID, JoinTime: unixTime(m.JoinTime)})
	}
	return room, nil
}

type roomRequest struct {
	RoomID string `json:"roomid"`
}

// AgreeStatus is an external contact's answer to being archived.
type AgreeStatus string

const (
	Agree        AgreeStatus = "Agree"
	Disagree     AgreeStatus = "Disagree"
	DefaultAgree AgreeStatus = "Default_Agree" // never asked, agreed by default
)

// Agreement is one external contact's consent in a group.
type Agreement struct {
	ExternalOpenID string // WeCom spells the field exteranalopenid
	Status         AgreeStatus
	ChangedAt      time.Time
}

// Agreed reports consent, given or by default.
func (a Agreement) Agreed() bool { return a.Status == Agree || a.Status == DefaultAgree }

// RoomAgreements is the consent of every external contact in a group
// ("获取会话同意情况", group form msgaudit/check_room_agree,
// https://developer.work.weixin.qq.com/document/path/91782).
func (c *Client) RoomAgreements(ctx context.Context, roomID string) ([]Agreement, error) {
	if roomID == "" {
		return nil, errs.Field("room_id", "is empty")
	}
	var r struct {
		AgreeInfo []struct {
			StatusChangeTime int64  `json:"status_change_time"`
			ExternalOpenID   string `json:"exteranalopenid"`
			AgreeStatus      string `json:"agree_status"`
		} `json:"agreeinfo"`
	}
	if err := c.post(ctx, "msgaudit/check_room_agree", roomRequest{roomID}, &r); err != nil {
		return nil, err
	}
	var out []Agreement
	for _, a := range r.AgreeInfo {
		out = append(out, Agreement{ExternalOpenID: a.ExternalOpenID, Status: AgreeStatus(a.AgreeStatus), ChangedAt: unixTime(a.StatusChangeTime)})
	}
	return out, nil
}

// Edition narrows PermitUsers to the members of one archive edition.
type Edition int

const (
	EditionAll        Edition = 0 // every member in the archive's range
	EditionOffice     Edition = 1 // 办公版
	EditionService    Edition = 2 // 服务版
	EditionEnterprise Edition = 3 // 企业版
)

// PermitUsers are the userids whose messages the archive keeps
// ("获取会话内容存档开启成员列表",
// https://developer.work.weixin.qq.com/document/path/91614): departments
// and tags in the range come back as their members.
func (c *Client) PermitUsers(ctx context.Context, e Edition) ([]string, error) {
	if e < EditionAll || e > EditionEnterprise {
		return nil, errs.Field("type", "must be 0 to 3, not %d", e)
	}
	in := struct {
		Type Edition `json:"type,omitempty"`
	}{e}
	var r struct {
		IDs []string `json:"ids"`
	}
	if err := c.post(ctx, "msgaudit/get_permit_user_list", in, &r); err != nil {
		return nil, err
	}
	return r.IDs, nil
}
