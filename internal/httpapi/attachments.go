package httpapi

import (
	"net/http"

	"charter/internal/errs"
)

// putAttachment stores an attachment's bytes under their SHA-256: 201 when
// stored, 200 when already there. Like the ingest of messages it is not
// audited per call; the bytes stored are counted instead. The store
// enforces --max-attachment while it reads, and a Content-Length above it
// is refused before a byte is read.
func (s *Server) putAttachment(w http.ResponseWriter, r *http.Request) error {
	limit := s.Cfg.MaxAttachment
	if r.ContentLength > limit {
		return errs.E(errs.TooLarge, "the attachment is larger than %d bytes", limit)
	}
	b, err := s.Blobs.Put(r.Context(), r.PathValue("sha256"), r.Body, limit)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if b.Created {
		code = http.StatusCreated
		s.Metrics.Add("charter_attachment_bytes_total", "Attachment bytes stored in the blob store (a blob delivered again is not counted).", float64(b.Size))
	}
	writeJSON(w, code, b)
	return nil
}
