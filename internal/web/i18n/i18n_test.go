package i18n

import (
	"math"
	"testing"
	"time"
)

func TestCatalogSameKeysInEveryLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Langs {
		for _, b := range Langs {
			for _, k := range c.Keys(a) {
				if !c.Has(b, k) {
					t.Errorf("key %q is in %s but not in %s", k, a, b)
				}
			}
		}
		for _, k := range c.Keys(a) {
			if c[a][k] == "" {
				t.Errorf("key %q is empty in %s", k, a)
			}
		}
	}
	if got := c.T(EN, "no.such.key"); got != MissingPrefix+"no.such.key" {
		t.Errorf("missing key: %q", got)
	}
}

func TestNegotiate(t *testing.T) {
	for h, want := range map[string]Lang{
		"":                            ZH,
		"en-US,en;q=0.9":              EN,
		"zh-CN,zh;q=0.9,en;q=0.8":     ZH,
		"fr-FR,en;q=0.5,zh-TW;q=0.4":  EN,
		"de, en;q=0.3, zh-Hans;q=0.7": ZH,
		"ja":                          ZH,
		"en;q=bogus, zh;q=0.1":        ZH,
		"EN-gb":                       EN,
	} {
		if got := Negotiate(h); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", h, got, want)
		}
	}
}

func TestDateTime(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 5, 9, 0, time.UTC)
	if got := DateTime(ZH, at); got != "2026年11月22日 14:05" {
		t.Errorf("zh: %q", got)
	}
	if got := DateTime(EN, at); got != "22 Nov 2026 14:05" {
		t.Errorf("en: %q", got)
	}
	if got := Date(ZH, at); got != "2026年11月22日" {
		t.Errorf("zh date: %q", got)
	}
	if got := Date(EN, time.Date(2027, 1, 3, 0, 0, 0, 0, time.UTC)); got != "3 Jan 2027" {
		t.Errorf("en date: %q", got)
	}
	if DateTime(EN, time.Time{}) != "" {
		t.Error("zero time should be empty")
	}
}

func TestYuan(t *testing.T) {
	cases := []struct {
		fen    int64
		en, zh string
	}{
		{400000, "¥4,000.00", "4,000.00 元"},
		{0, "¥0.00", "0.00 元"},
		{5, "¥0.05", "0.05 元"},
		{20000, "¥200.00", "200.00 元"},
		{123456789, "¥1,234,567.89", "1,234,567.89 元"},
		{-8800, "-¥88.00", "-88.00 元"},
		{math.MinInt64, "-¥92,233,720,368,547,758.08", "-92,233,720,368,547,758.08 元"},
	}
	for _, c := range cases {
		if got := Yuan(EN, c.fen); got != c.en {
			t.Errorf("Yuan(en, %d) = %q, want %q", c.fen, got, c.en)
		}
		if got := Yuan(ZH, c.fen); got != c.zh {
			t.Errorf("Yuan(zh, %d) = %q, want %q", c.fen, got, c.zh)
		}
	}
	if Number(1234567) != "1,234,567" || Number(-1000) != "-1,000" || Number(999) != "999" {
		t.Error("Number")
	}
}
