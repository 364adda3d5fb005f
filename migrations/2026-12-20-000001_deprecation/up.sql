-- A package's deprecation, set and cleared by its owners (usecase::deprecation).
-- On the packages row itself: the metadata read, the page and search already
-- read that row, and its UPDATE trigger (migration 000006) tells every
-- instance's cache. The successor is kept by name as published.
ALTER TABLE packages
    ADD COLUMN deprecated_at TIMESTAMPTZ,
    ADD COLUMN deprecation_message TEXT,
    ADD COLUMN deprecation_successor TEXT,
    ADD CONSTRAINT packages_deprecation_whole CHECK (
        (deprecated_at IS NULL) = (deprecation_message IS NULL)
        AND (deprecation_successor IS NULL OR deprecated_at IS NOT NULL)
    );

-- The feeds read deprecations out of the audit log: few rows in a large log.
CREATE INDEX audit_log_deprecations ON audit_log (at DESC)
    WHERE action IN ('package.deprecate', 'package.undeprecate');
