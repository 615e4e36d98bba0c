-- An attachment the platform keeps (a WeCom sdkfileid) waits in the lane
-- with its reference until it is fetched; its SHA-256 is known only then.
ALTER TABLE attachment_scans ADD COLUMN source_ref TEXT NOT NULL DEFAULT '';
