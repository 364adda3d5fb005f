ALTER TABLE packages DROP COLUMN removed_at;
DROP TABLE audit_log;
