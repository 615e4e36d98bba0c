package common

import (
	"context"
	"database/sql"
	"errors"

	"charter/internal/review"
	"charter/internal/store/sqlutil"
)

// FindingRecorded returns the alert with key that the archived message
// already raised, resolved or not (0: none): scanning a message again (after
// a crash, on a retry, in a rescan) never makes a second alert.
func FindingRecorded(ctx context.Context, q sqlutil.Querier, rebind func(string) string, key string, src review.Source) (int64, error) {
	if src.ArchiveID == 0 {
		return 0, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, rebind(`SELECT a.id FROM alert_sources s JOIN alerts a ON a.id = s.alert_id
		WHERE s.archive_id = ? AND s.source_id = ? AND a.key = ? ORDER BY a.id DESC LIMIT 1`), src.ArchiveID, src.SourceID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
