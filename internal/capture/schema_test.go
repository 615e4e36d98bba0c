package capture

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// jsonNames lists the JSON names of a struct's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

type schemaObject struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
	Defs       map[string]schemaObject    `json:"$defs"`
	Enum       []string                   `json:"enum"`
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The schema in docs is the contract of the NDJSON format and the ingest
// API; it must name exactly the struct's JSON fields.
func TestSchemaMatchesStruct(t *testing.T) {
	data, err := os.ReadFile("../../docs/message.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s schemaObject
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	for _, c := range []struct {
		name   string
		schema []string
		typ    reflect.Type
	}{
		{"message", keys(s.Properties), reflect.TypeOf(Message{})},
		{"attachment", keys(s.Defs["attachment"].Properties), reflect.TypeOf(Attachment{})},
		{"transfer", keys(s.Defs["transfer"].Properties), reflect.TypeOf(Transfer{})},
	} {
		if want := jsonNames(c.typ); !reflect.DeepEqual(c.schema, want) {
			t.Errorf("%s: schema properties %v, struct JSON names %v", c.name, c.schema, want)
		}
	}
	var kind, platform schemaObject
	_ = json.Unmarshal(s.Properties["kind"], &kind)
	_ = json.Unmarshal(s.Properties["platform"], &platform)
	var kinds []string
	for _, k := range Kinds {
		kinds = append(kinds, string(k))
	}
	if !reflect.DeepEqual(kind.Enum, kinds) {
		t.Errorf("schema kinds %v, Go kinds %v", kind.Enum, kinds)
	}
	if !reflect.DeepEqual(platform.Enum, Platforms) {
		t.Errorf("schema platforms %v, Go platforms %v", platform.Enum, Platforms)
	}
	for _, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			t.Errorf("required %q is not a property", r)
		}
	}
}
