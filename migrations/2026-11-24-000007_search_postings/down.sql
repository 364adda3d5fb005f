-- Back to 000005's functions (no postings), then drop the postings.
DROP TRIGGER IF EXISTS package_owners_search_insert ON package_owners;
DROP TRIGGER IF EXISTS package_owners_search_delete ON package_owners;
DROP FUNCTION IF EXISTS package_owners_search();
CREATE OR REPLACE FUNCTION package_search_upsert(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO package_search (package_id, canonical_name, popularity, document)
    SELECT p.id, p.canonical_name, package_popularity(COALESCE(d.recent_downloads, 0)),
           package_search_document(p.name, p.keywords, p.description, p.readme)
    FROM packages p LEFT JOIN package_downloads d ON d.package_id = p.id
    WHERE p.id = ANY (ids) AND p.removed_at IS NULL
    ON CONFLICT (package_id) DO UPDATE
    SET canonical_name = excluded.canonical_name,
        popularity = excluded.popularity,
        document = excluded.document;
    DELETE FROM package_name_parts WHERE package_id = ANY (ids);
    INSERT INTO package_name_parts (part, popularity, package_id, canonical_name)
    SELECT DISTINCT part, s.popularity, s.package_id, s.canonical_name
    FROM package_search s, unnest(string_to_array(translate(s.canonical_name, '/', '-'), '-')) part
    WHERE s.package_id = ANY (ids) AND part <> '';
$$;

CREATE OR REPLACE FUNCTION packages_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.removed_at IS NOT NULL THEN
        DELETE FROM package_search WHERE package_id = NEW.id;
        DELETE FROM package_name_parts WHERE package_id = NEW.id;
    ELSE
        PERFORM package_search_upsert(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END
$$;

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
        refreshed_on = excluded.refreshed_on;
    UPDATE package_search s SET popularity = package_popularity(d.recent_downloads)
    FROM package_downloads d
    WHERE d.package_id = s.package_id AND s.package_id = ANY (ids)
      AND s.popularity <> package_popularity(d.recent_downloads);
    UPDATE package_name_parts n SET popularity = s.popularity
    FROM package_search s
    WHERE s.package_id = n.package_id AND n.package_id = ANY (ids) AND n.popularity <> s.popularity;
$$;

DROP FUNCTION IF EXISTS search_postings_refresh(BIGINT[]);
DROP TABLE IF EXISTS search_dictionary;
ALTER TABLE package_search DROP COLUMN IF EXISTS filters;
DROP VIEW IF EXISTS package_filter_terms;
DROP TABLE IF EXISTS search_hot_terms;
DROP FUNCTION IF EXISTS search_hot_popularity();
ALTER TABLE packages RESET (parallel_workers);
ALTER TABLE package_search RESET (parallel_workers);
ALTER TABLE package_name_parts RESET (parallel_workers);
ALTER TABLE package_downloads RESET (parallel_workers);
ALTER TABLE versions RESET (parallel_workers);
