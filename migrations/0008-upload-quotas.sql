-- Every initiate counts what its uploader's files take (quotas on open uploads and stored bytes): by user, not by
-- a scan of every file. Failed uploads count for nothing.
CREATE INDEX files_uploader_idx ON files (uploader_id) WHERE status <> 'failed';
