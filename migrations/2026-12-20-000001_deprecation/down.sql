DROP INDEX audit_log_deprecations;
ALTER TABLE packages
    DROP CONSTRAINT packages_deprecation_whole,
    DROP COLUMN deprecation_successor,
    DROP COLUMN deprecation_message,
    DROP COLUMN deprecated_at;
