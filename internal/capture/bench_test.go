package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// corpus repeats the valid lines of a test file n times with fresh ids.
func corpus(b *testing.B, name, idKey string, n int) []byte {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	var lines []map[string]json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if json.Unmarshal(sc.Bytes(), &m) == nil && m != nil {
			lines = append(lines, m)
		}
	}
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		m := lines[i%len(lines)]
		m[idKey], _ = json.Marshal(fmt.Sprintf("bench-%d", i))
		line, _ := json.Marshal(m)
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func benchReader(b *testing.B, data []byte, open func(io.Reader) Reader) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	msgs := 0
	for i := 0; i < b.N; i++ {
		rd := open(bytes.NewReader(data))
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if rec.Msg != nil {
				msgs++
			}
		}
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkWeCom(b *testing.B) {
	benchReader(b, corpus(b, "wecom.jsonl", "msgid", 20000), NewWeCom)
}

func BenchmarkNDJSON(b *testing.B) {
	// The normalized output of the WeCom corpus, raw included.
	var buf bytes.Buffer
	rd := NewWeCom(bytes.NewReader(corpus(b, "wecom.jsonl", "msgid", 20000)))
	for {
		rec, err := rd.Next()
		if err != nil {
			break
		}
		if rec.Msg != nil {
			line, _ := json.Marshal(rec.Msg)
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	benchReader(b, buf.Bytes(), NewNDJSON)
}

func BenchmarkWeChatMsgCSV(b *testing.B) {
	data, _ := os.ReadFile("testdata/wechatmsg.csv")
	benchReader(b, data, func(r io.Reader) Reader { return NewWeChatMsgCSV(r, "") })
}
