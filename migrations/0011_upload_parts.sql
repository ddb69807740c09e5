-- 0011_upload_parts: upload sessions on a store that writes in parts (S3 multipart uploads,
-- server/registry/partedUploads.ts). The session row holds the store's upload id, the parts
-- stored so far, the bytes too few for a part (the tail object) and the last part number
-- handed out, so any server can take the next chunk and the purge can abort what is left.
ALTER TABLE uploads ADD COLUMN multipart_id text;
ALTER TABLE uploads ADD COLUMN parts jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE uploads ADD COLUMN tail jsonb;
ALTER TABLE uploads ADD COLUMN part_seq integer NOT NULL DEFAULT 0;
