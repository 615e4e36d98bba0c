package capture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"charter/internal/errs"
)

type ndjsonReader struct{ lr *lineReader }

// NewNDJSON reads normalized messages, one JSON object a line, as described by
// docs/message.schema.json. Unknown fields are rejected (a typo must not
// silently drop data); blank lines are skipped.
func NewNDJSON(r io.Reader) Reader { return &ndjsonReader{lr: newLineReader(r)} }

func (n *ndjsonReader) Next() (Record, error) {
	for {
		line, tooLong, err := n.lr.next()
		if err != nil {
			return Record{}, err
		}
		if tooLong {
			return reject(n.lr.line, line, tooLongErr()), nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		raw := append([]byte(nil), line...)
		m, err := ParseNDJSON(raw)
		if err != nil {
			return reject(n.lr.line, raw, err), nil
		}
		return accept(n.lr.line, raw, m), nil
	}
}

// ParseNDJSON decodes one normalized message, strictly.
func ParseNDJSON(line []byte) (*Message, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var m Message
	if err := dec.Decode(&m); err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return nil, errs.Field("sent_at", "not an RFC 3339 time: %q", truncate(pe.Value, 40))
		}
		return nil, errs.E(errs.Invalid, "bad JSON: %s", jsonErrText(err))
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errs.E(errs.Invalid, "bad JSON: more than one value on the line")
	}
	if len(m.Raw) > 0 {
		// Keep raw compact so the same message always serializes the same.
		var b bytes.Buffer
		if err := json.Compact(&b, m.Raw); err == nil {
			m.Raw = b.Bytes()
		}
	}
	return &m, nil
}

func jsonErrText(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of input"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %q: %s is not a %s", te.Field, te.Value, te.Type)
		}
		return te.Value + " where an object was expected"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
