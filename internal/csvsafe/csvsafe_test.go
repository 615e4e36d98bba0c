package csvsafe

import "testing"

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example","点我")`, `'=HYPERLINK("http://evil.example","点我")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\r=1", "'\r=1"},
		{"-12", "'-12"},
		{"+8613800000000", "'+8613800000000"},
		{"财务工作群", "财务工作群"},
		{"", ""},
		{"a=b", "a=b"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Cell(tc.in); got != tc.want {
				t.Fatalf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
