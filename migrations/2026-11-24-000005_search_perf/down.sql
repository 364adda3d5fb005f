DROP INDEX IF EXISTS packages_canonical_pattern;
DROP FUNCTION IF EXISTS sweep_package_downloads(INT);
-- refresh_package_downloads as 000003 left it.
CREATE OR REPLACE FUNCTION refresh_package_downloads(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
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
DROP TRIGGER IF EXISTS packages_search_update ON packages;
DROP FUNCTION IF EXISTS packages_search_update();
DROP TRIGGER IF EXISTS packages_search_insert ON packages;
DROP FUNCTION IF EXISTS packages_search_insert();
DROP FUNCTION IF EXISTS package_search_upsert(BIGINT[]);
DROP TABLE IF EXISTS package_name_parts;
DROP TABLE IF EXISTS package_search;
DROP FUNCTION IF EXISTS package_popularity(BIGINT);
ALTER TABLE packages ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS (package_search_document(name, keywords, description, readme)) STORED;
CREATE INDEX packages_search_document ON packages USING gin (search_document);
