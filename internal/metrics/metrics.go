// Package metrics keeps Charter's counters and writes them in the Prometheus
// text exposition format. A few labelled counters are all Charter needs, so it
// does without the Prometheus client library.
package metrics

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Registry holds named counters and gauges with labels.
type Registry struct {
	mu     sync.Mutex
	series map[string]*family
	gauges map[string]func() float64
}

type family struct {
	help, kind string
	values     map[string]float64 // rendered label set -> value
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{series: map[string]*family{}, gauges: map[string]func() float64{}}
}

// Add adds v to counter name with labels given as key, value pairs.
func (r *Registry) Add(name, help string, v float64, labels ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.series[name]
	if f == nil {
		f = &family{help: help, kind: "counter", values: map[string]float64{}}
		r.series[name] = f
	}
	f.values[renderLabels(labels)] += v
}

// Gauge registers a function read at every scrape.
func (r *Registry) Gauge(name, help string, fn func() float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.series[name] = &family{help: help, kind: "gauge"}
	r.gauges[name] = fn
}

func renderLabels(kv []string) string {
	if len(kv) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", kv[i], kv[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// Write renders every series, sorted by name, in the text format.
func (r *Registry) Write(w io.Writer) error {
	r.mu.Lock()
	names := make([]string, 0, len(r.series))
	for n := range r.series {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		f := r.series[n]
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", n, f.help, n, f.kind)
		if fn := r.gauges[n]; fn != nil {
			fmt.Fprintf(&b, "%s %g\n", n, fn())
			continue
		}
		keys := make([]string, 0, len(f.values))
		for k := range f.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s%s %g\n", n, k, f.values[k])
		}
	}
	r.mu.Unlock()
	_, err := io.WriteString(w, b.String())
	return err
}
