-- Resumable uploads: the multipart upload behind each file, a verification lease, the failure reason, and
-- whether a failed upload's storage is released. Which chunks arrived is the storage's to say (parts listing).

ALTER TABLE files DROP CONSTRAINT files_status_check;

ALTER TABLE files ADD CONSTRAINT files_status_check
  CHECK (status IN ('uploading', 'verifying', 'completed', 'failed'));

ALTER TABLE files ADD COLUMN chunk_size integer NOT NULL DEFAULT 8388608 CHECK (chunk_size > 0);

ALTER TABLE files ALTER COLUMN chunk_size DROP DEFAULT;

ALTER TABLE files ADD COLUMN upload_id text;

ALTER TABLE files ADD COLUMN declared_sha256 text;

-- While status = 'verifying': until when the request verifying it holds it (another may take over after).
ALTER TABLE files ADD COLUMN lease_until timestamptz;

ALTER TABLE files ADD COLUMN failure_reason text;

ALTER TABLE files ADD COLUMN storage_released boolean NOT NULL DEFAULT false;

-- The cleanup role's two questions: what is old and unfinished, and what failed but still holds storage.
CREATE INDEX files_unfinished_idx ON files (created_at) WHERE status IN ('uploading', 'verifying');

CREATE INDEX files_unreleased_idx ON files (id) WHERE status = 'failed' AND NOT storage_released;

-- Who may see a file: members of the conversations it was sent to.
CREATE INDEX messages_file_idx ON messages ((payload ->> 'file_id')) WHERE payload ->> 'type' = 'file';
