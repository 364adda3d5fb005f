-- Search: a weighted full-text document per package, trigram matching on the
-- canonical name, and a per-package download rollup so ranking never sums
-- version_downloads per row at query time.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The README of the package's latest version, copied here by publish
-- (refresh_package) so the search document is computed from one row.
ALTER TABLE packages ADD COLUMN readme TEXT NOT NULL DEFAULT '';

-- The document: name A, keywords B, description C, README D. Names and
-- keywords are split on `-`, `_`, `/` and indexed as-is ('simple', so short or
-- stop-word names like `it` survive) and stemmed ('english', so `logging`
-- meets `logs`); every part of every name gets the same two entries, so
-- `sema/http` and `http-client` rank alike for `http`. The whole name needs no
-- lexeme: queries are split into words the same way, and exact names are
-- matched on canonical_name. Configurations are named, never OIDs. IMMUTABLE
-- holds for these inputs (array_to_string of text[] is only STABLE in general),
-- and a generated column requires it.
CREATE FUNCTION package_search_document(name TEXT, keywords TEXT[], description TEXT, readme TEXT)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, translate(lower(name), '-_/', '   '))
                  || to_tsvector('english'::regconfig, translate(lower(name), '-_/', '   ')), 'A')
        || setweight(to_tsvector('simple'::regconfig, translate(array_to_string(keywords, ' '), '-_', '  '))
                  || to_tsvector('english'::regconfig, translate(array_to_string(keywords, ' '), '-_', '  ')), 'B')
        || setweight(to_tsvector('english'::regconfig, description), 'C')
        -- The start of a README says what a package is; the cap bounds the
        -- document (tsvector limit 1 MB) and the cost of ranking it.
        || setweight(to_tsvector('english'::regconfig, left(readme, 4000)), 'D')
$$;

-- Generated, so it changes exactly when a searchable field does, and download
-- counts (another table) never touch it.
ALTER TABLE packages ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS (package_search_document(name, keywords, description, readme)) STORED;
CREATE INDEX packages_search_document ON packages USING gin (search_document);
-- Prefix (`ht` -> `http`, `sema/ht` -> `sema/http`) and typo (`jsno` -> `json`) matches.
CREATE INDEX packages_canonical_trgm ON packages USING gin (canonical_name gin_trgm_ops);
-- Filters and browse orders.
CREATE INDEX packages_namespace ON packages (namespace) WHERE namespace IS NOT NULL;
CREATE INDEX packages_keywords ON packages USING gin (keywords);
CREATE INDEX packages_updated ON packages (updated_at DESC);
CREATE INDEX packages_created ON packages (created_at DESC);

-- Download totals per package, derived from version_downloads. A separate
-- narrow table: the hot packages row (and its GIN entries) is never rewritten
-- for a download.
CREATE TABLE package_downloads (
    package_id       BIGINT PRIMARY KEY REFERENCES packages (id) ON DELETE CASCADE,
    downloads        BIGINT NOT NULL DEFAULT 0,
    recent_downloads BIGINT NOT NULL DEFAULT 0, -- the last 90 days, today included
    refreshed_on     DATE NOT NULL DEFAULT current_date
);
CREATE INDEX package_downloads_downloads ON package_downloads (downloads DESC);
CREATE INDEX package_downloads_recent ON package_downloads (recent_downloads DESC);
CREATE INDEX package_downloads_refreshed ON package_downloads (refreshed_on);

-- Every package has a rollup row, so browsing by downloads walks the rollup's
-- index instead of sorting every package.
CREATE FUNCTION packages_rollup_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO package_downloads (package_id) SELECT id FROM added ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER packages_rollup_row AFTER INSERT ON packages
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION packages_rollup_row();

-- Recomputes the rollup of the given packages from version_downloads.
CREATE FUNCTION refresh_package_downloads(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO package_downloads (package_id, downloads, recent_downloads, refreshed_on)
    SELECT p.id,
           COALESCE(SUM(d.downloads), 0),
           COALESCE(SUM(d.downloads) FILTER (WHERE d.date > current_date - 90), 0),
           current_date
    FROM packages p
    LEFT JOIN versions v ON v.package_id = p.id
    LEFT JOIN version_downloads d ON d.version_id = v.id
    WHERE p.id = ANY (ids)
    GROUP BY p.id
    ON CONFLICT (package_id) DO UPDATE
    SET downloads = excluded.downloads,
        recent_downloads = excluded.recent_downloads,
        refreshed_on = excluded.refreshed_on
$$;

-- Statement-level, so the flusher's one batched upsert (or a bulk COPY) costs
-- one rollup statement for the packages it touched, never one per row.
CREATE FUNCTION version_downloads_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_package_downloads(ARRAY(
        SELECT DISTINCT v.package_id FROM changed c JOIN versions v ON v.id = c.version_id));
    RETURN NULL;
END
$$;
-- Transition tables allow one event per trigger, hence two.
CREATE TRIGGER version_downloads_rollup_insert AFTER INSERT ON version_downloads
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION version_downloads_rollup();
CREATE TRIGGER version_downloads_rollup_update AFTER UPDATE ON version_downloads
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION version_downloads_rollup();

-- Search ANDs one (english | simple) term per query word.
CREATE AGGREGATE tsquery_and_agg(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);

-- Existing rows.
UPDATE packages p SET readme = COALESCE((
    SELECT v.readme FROM versions v WHERE v.package_id = p.id AND v.readme IS NOT NULL
    ORDER BY v.published_at DESC LIMIT 1), '');
SELECT refresh_package_downloads(ARRAY(SELECT id FROM packages));
