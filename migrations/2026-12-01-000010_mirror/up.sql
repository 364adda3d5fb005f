-- Team registries (issue 14): packages mirrored from an upstream registry
-- live in the same tables as local ones, so search, pages, dependents and
-- the publish dependency check treat them alike.

-- The upstream's base URL for a mirrored package; NULL for a local one.
ALTER TABLE packages ADD COLUMN mirrored_from TEXT;
-- When the metadata was last fetched; older than UPSTREAM_TTL_SECS is stale.
ALTER TABLE packages ADD COLUMN fetched_at TIMESTAMPTZ;
-- A mirrored version's tarball is fetched on its first download; until then
-- only its metadata (checksum included) is known.
ALTER TABLE versions ADD COLUMN stored BOOLEAN NOT NULL DEFAULT TRUE;

-- Names an administrator claimed for local use: never looked up upstream,
-- and free to publish even though upstream has them (the dependency-confusion
-- guard lets them through).
CREATE TABLE name_claims (
    canonical_name TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    claimed_by     TEXT NOT NULL,
    claimed_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
