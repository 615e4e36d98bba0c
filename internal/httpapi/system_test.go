package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"charter/internal/config"
	"charter/internal/metrics"
)

// TestMetricsPublic: /metrics is for operators unless --metrics-public
// opens it to a scraper that sends no credentials; the table, which the
// console reads, keeps the operators' roles either way.
func TestMetricsPublic(t *testing.T) {
	for _, c := range []struct {
		name   string
		public bool
		want   int
	}{
		{"operators only", false, http.StatusUnauthorized},
		{"public by choice", true, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.MetricsPublic = c.public
			s := &Server{Cfg: &cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(), Now: time.Now}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
			if w.Code != c.want {
				t.Fatalf("GET /metrics without credentials: %d, want %d", w.Code, c.want)
			}
			if a, ok := AccessOf("GET /metrics"); !ok || a.IsPublic() || len(a.RoleList()) != 2 {
				t.Fatalf("AccessOf(GET /metrics) = %v %v, want the operators' roles", a.RoleList(), ok)
			}
		})
	}
}
