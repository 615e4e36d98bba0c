package web

import "testing"

func TestHighlight(t *testing.T) {
	for _, c := range []struct{ text, q, want string }{
		{"这份文件是机密，请勿外传", "机密", "这份文件是<mark>机密</mark>，请勿外传"},
		{"Budget <b>draft</b> & BUDGET", "budget", "<mark>Budget</mark> &lt;b&gt;draft&lt;/b&gt; &amp; <mark>BUDGET</mark>"},
		{"a&amp;b", "amp", "a&amp;<mark>amp</mark>;b"},
		{"<script>alert(1)</script>", "script", "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"},
		{"机密机密文件", "机密 密文", "<mark>机密</mark><mark>机密文</mark>件"},
		{"nothing here", "", "nothing here"},
		{"red envelope 红包", `"红包"`, "red envelope <mark>红包</mark>"},
	} {
		if got := string(highlight(c.text, c.q)); got != c.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", c.text, c.q, got, c.want)
		}
	}
}
