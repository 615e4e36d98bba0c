package archive

import (
	"strings"
	"testing"
)

func TestIndexText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"这是机密文件", "这是 是机 机密 密文 文件 件"},
		{"CONFIDENTIAL: 内部资料 v2", "confidential 内部 部资 资料 料 v2"},
		{"A股机密", "a 股机 机密 密"},
		{"机密，文件", "机密 密 文件 件"},
		{"Café 東京タワー", "café 東京 京タ タワ ワー ー"},
		{"", ""},
		{"!!! ...", ""},
	}
	for _, c := range cases {
		if got := string(AppendIndexText(nil, c.in)); got != c.want {
			t.Errorf("AppendIndexText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := string(AppendTSVector(nil, "机密 ok")); got != `'机密':1 '密':2 'ok':3` {
		t.Errorf("AppendTSVector: %q", got)
	}
}

func TestParseQuery(t *testing.T) {
	cases := []struct{ in, fts, ts string }{
		{"机密", `"机密"`, `('机密')`},
		{"内部资料", `"内部 部资 资料"`, `('内部' <-> '部资' <-> '资料')`},
		{"密", `"密"*`, `('密':*)`},
		{"Budget 机密", `"budget" "机密"`, `('budget') & ('机密')`},
		{"机密文件ABC", `"机密 密文 文件 件 abc"`, `('机密' <-> '密文' <-> '文件' <-> '件' <-> 'abc')`},
		{"abc密", `"abc 密"*`, `('abc' <-> '密':*)`},
		{"  ", ``, ``},
	}
	for _, c := range cases {
		terms := ParseQuery(c.in)
		if got := FTS5Match(terms); got != c.fts {
			t.Errorf("FTS5Match(%q) = %q, want %q", c.in, got, c.fts)
		}
		if got := TSQuery(terms); got != c.ts {
			t.Errorf("TSQuery(%q) = %q, want %q", c.in, got, c.ts)
		}
	}
}

// Every substring of two or more CJK characters of a text is found: the
// query's tokens appear consecutively among the text's.
func TestEverySubstringMatches(t *testing.T) {
	text := []rune("关于项目机密资料的内部通知")
	idx := " " + string(AppendIndexText(nil, string(text))) + " "
	for i := 0; i < len(text); i++ {
		for j := i + 2; j <= len(text); j++ {
			terms := ParseQuery(string(text[i:j]))
			phrase := " " + strings.Join(terms[0].Tokens, " ") + " "
			if !strings.Contains(idx, phrase) {
				t.Errorf("%q: phrase %q not in %q", string(text[i:j]), phrase, idx)
			}
		}
	}
}

func BenchmarkIndexText(b *testing.B) {
	text := "请各位注意：这份季度预算 draft 属于内部资料，不要转发到其他群 Q3 budget review"
	var buf []byte
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		buf = AppendIndexText(buf[:0], text)
	}
}
