DROP TABLE name_claims;
ALTER TABLE versions DROP COLUMN stored;
ALTER TABLE packages DROP COLUMN fetched_at;
ALTER TABLE packages DROP COLUMN mirrored_from;
