package wecom

import (
	"context"
	"time"

	"charter/internal/errs"
)

// Customer groups (客户群): the groups with external members that members
// holding customer-contact rights created. They are read with the
// customer-contact secret, or that of an app set as able to call it.

// GroupChatFilter narrows externalcontact/groupchat/list.
type GroupChatFilter struct {
	// Status is status_filter: 0 every group (the default), 1 owner left
	// and awaiting a successor, 2 handover under way, 3 handed over.
	Status int
	// Owners is owner_filter.userid_list, at most 100. Without it WeCom
	// lists the groups of every owner the app can see, and refuses (81017)
	// when that is over 1000 people.
	Owners []string
	// Limit is the page size, 1 to 1000; 0 means 1000.
	Limit int
}

type ownerFilter struct {
	UserIDList []string `json:"userid_list"`
}

type groupChatListRequest struct {
	StatusFilter int          `json:"status_filter"`
	OwnerFilter  *ownerFilter `json:"owner_filter,omitempty"`
	Cursor       string       `json:"cursor,omitempty"`
	Limit        int          `json:"limit"`
}

type groupChatListResponse struct {
	GroupChatList []struct {
		ChatID string `json:"chat_id"`
		Status int    `json:"status"`
	} `json:"group_chat_list"`
	NextCursor string `json:"next_cursor"`
}

// GroupChatIDs lists the ids of every customer group the filter admits,
// page after page ("获取客户群列表",
// https://developer.work.weixin.qq.com/document/path/92120).
func (c *Client) GroupChatIDs(ctx context.Context, f GroupChatFilter) ([]string, error) {
	if f.Limit == 0 {
		f.Limit = 1000
	}
	switch {
	case f.Limit < 1 || f.Limit > 1000:
		return nil, errs.Field("limit", "must be 1 to 1000, not %d", f.Limit)
	case f.Status < 0 || f.Status > 3:
		return nil, errs.Field("status_filter", "must be 0 to 3, not %d", f.Status)
	case len(f.Owners) > 100:
		return nil, errs.Field("owner_filter", "at most 100 owners, not %d", len(f.Owners))
	}
	req := groupChatListRequest{StatusFilter: f.Status, Limit: f.Limit}
	if len(f.Owners) > 0 {
		req.OwnerFilter = &ownerFilter{UserIDList: f.Owners}
	}
	var ids []string
	seen := map[string]bool{}
	for {
		var page groupChatListResponse
		if err := c.post(ctx, "externalcontact/groupchat/list", req, &page); err != nil {
			return nil, err
		}
		for _, g := range page.GroupChatList {
			ids = append(ids, g.ChatID)
		}
		if page.NextCursor == "" {
			return ids, nil
		}
		// A cursor given twice would page forever.
		if seen[page.NextCursor] {
			return nil, errs.E(errs.Unavailable, "WeCom API externalcontact/groupchat/list gave the same next_cursor twice")
		}
		seen[page.NextCursor] = true
		req.Cursor = page.NextCursor
	}
}

// MemberType says whether a group member is of the corp or outside it.
type MemberType int

const (
	MemberInternal MemberType = 1 // 企业成员
	MemberExternal MemberType = 2 // 外部联系人
)

func (t MemberType) String() string {
	switch t {
	case MemberInternal:
		return "internal"
	case MemberExternal:
		return "external"
	}
	return "unknown"
}

// GroupChat is a customer group's detail.
type GroupChat struct {
	ChatID     string
	Name       string
	Owner      string // the owner's userid
	CreateTime time.Time
	Notice     string
	Members    []GroupMember
	Admins     []string // the admins' userids
	// MemberVersion changes with the members; change_external_chat events
	// carry it as CurMemVer, so an unchanged one needs no new read.
	MemberVersion string
}

// GroupMember is one member of a customer group.
type GroupMember struct {
	UserID    string // a userid, or an external userid for an external member
	Type      MemberType
	JoinTime  time.Time
	JoinScene int    // 1 invited directly, 2 by an invitation link, 3 by the group's QR code
	Invitor   string // the userid of the member who invited them, when one did
	// GroupNickname is their name in this group; Name is their own name
	// (WeChat's, or a WeCom contact's public one), given only with needName.
	GroupNickname string
	Name          string
	UnionID       string // a WeChat user's unionid, when the corp has bound a developer id
}

type groupChatResponse struct {
	GroupChat struct {
		ChatID     string `json:"chat_id"`
		Name       string `json:"name"`
		Owner      string `json:"owner"`
		CreateTime int64  `json:"create_time"`
		Notice     string `json:"notice"`
		MemberList []struct {
			UserID    string `json:"userid"`
			Type      int    `json:"type"`
			JoinTime  int64  `json:"join_time"`
			JoinScene int    `json:"join_scene"`
			Invitor   struct {
				UserID string `json:"userid"`
			} `json:"invitor"`
			GroupNickname string `json:"group_nickname"`
			Name          string `json:"name"`
			UnionID       string `json:"unionid"`
		} `json:"member_list"`
		AdminList []struct {
			UserID string `json:"userid"`
		} `json:"admin_list"`
		MemberVersion string `json:"member_version"`
	} `json:"group_chat"`
}

// GroupChat reads a customer group ("获取客户群详情",
// https://developer.work.weixin.qq.com/document/path/92122). WeCom applies
// some changes a while after the event that announces them, so a read just
// after an event may be a little behind.
func (c *Client) GroupChat(ctx context.Context, chatID string, needName bool) (*GroupChat, error) {
	if chatID == "" {
		return nil, errs.Field("chat_id", "is empty")
	}
	in := struct {
		ChatID   string `json:"chat_id"`
		NeedName int    `json:"need_name"`
	}{ChatID: chatID}
	if needName {
		in.NeedName = 1
	}
	var r groupChatResponse
	if err := c.post(ctx, "externalcontact/groupchat/get", in, &r); err != nil {
		return nil, err
	}
	g := r.GroupChat
	out := &GroupChat{ChatID: g.ChatID, Name: g.Name, Owner: g.Owner, CreateTime: unixTime(g.CreateTime), Notice: g.Notice,
		MemberVersion: g.MemberVersion}
	for _, m := range g.MemberList {
		out.Members = append(out.Members, GroupMember{UserID: m.UserID, Type: MemberType(m.Type), JoinTime: unixTime(m.JoinTime),
			JoinScene: m.JoinScene, Invitor: m.Invitor.UserID, GroupNickname: m.GroupNickname, Name: m.Name, UnionID: m.UnionID})
	}
	for _, a := range g.AdminList {
		out.Admins = append(out.Admins, a.UserID)
	}
	return out, nil
}
