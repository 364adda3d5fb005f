-- Search by btree range scans (issue 16). Three derived tables, all kept by
-- package_search_upsert (publish, field changes) and by the download rollup
-- (only for packages whose popularity bucket moved):
--
-- * search_hot_terms: term -> package postings, ordered by popularity, for the
--   packages at or above search_hot_popularity() (the head of the download
--   tail). Every package that popular is in it, so when a word's range holds
--   a full window, that window is exactly the word's most popular matches, and
--   a word's first 1001 postings prove its total is capped, without touching
--   the documents. Below the head (rare words) GIN answers, cheaply.
-- * package_search.filters: `k:keyword`, `n:namespace`, `o:owner` with a GIN
--   index next to the document's, so a filtered search is a BitmapAnd of two
--   posting lists (bounded by the smaller) instead of a walk that checks the
--   wide packages row of each candidate.
-- * search_dictionary: the distinct name parts, a small vocabulary whose
--   trigram index gives typo candidates (`jsno` -> `json`) without reading
--   package rows.

CREATE FUNCTION search_hot_popularity() RETURNS SMALLINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 20::smallint $$; -- about 28 downloads in 90 days

CREATE TABLE search_hot_terms (
    term       TEXT NOT NULL,
    popularity SMALLINT NOT NULL,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE
);
CREATE INDEX search_hot_terms_term ON search_hot_terms (term, popularity DESC, package_id);
CREATE INDEX search_hot_terms_package ON search_hot_terms (package_id, term);

-- Each package's filter terms, as search queries them. A view, so a bulk
-- statement joins it set-based (a SQL function with subqueries is planned
-- again on every call: an hour for a million packages).
CREATE VIEW package_filter_terms AS
SELECT p.id AS package_id,
       ARRAY(SELECT 'k:' || k FROM unnest(p.keywords) AS k
             UNION SELECT 'n:' || p.namespace WHERE p.namespace IS NOT NULL
             UNION SELECT 'o:' || lower(u.username)
                   FROM package_owners po JOIN users u ON u.id = po.user_id
                   WHERE po.package_id = p.id) AS filters
FROM packages p;
ALTER TABLE package_search ADD COLUMN filters TEXT[] NOT NULL DEFAULT '{}';
CREATE INDEX package_search_filters ON package_search USING gin (filters);

CREATE TABLE search_dictionary (term TEXT PRIMARY KEY);
CREATE INDEX search_dictionary_trgm ON search_dictionary USING gist (term gist_trgm_ops);

-- Bounded plans need no parallel workers, and starting them costs more than
-- the plans on two busy cores (this replaces a per-request SET LOCAL, so a
-- search is one statement and one round trip).
ALTER TABLE packages SET (parallel_workers = 0);
ALTER TABLE package_search SET (parallel_workers = 0);
ALTER TABLE package_name_parts SET (parallel_workers = 0);
ALTER TABLE package_downloads SET (parallel_workers = 0);
ALTER TABLE versions SET (parallel_workers = 0);
ALTER TABLE search_hot_terms SET (parallel_workers = 0);

-- The hot postings and dictionary entries of these packages, from
-- package_search and package_name_parts (call after they are written).
CREATE FUNCTION search_postings_refresh(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM search_hot_terms WHERE package_id = ANY (ids);
    INSERT INTO search_hot_terms (term, popularity, package_id)
    SELECT t.term, s.popularity, s.package_id
    FROM package_search s, unnest(tsvector_to_array(s.document)) AS t(term)
    WHERE s.package_id = ANY (ids) AND s.popularity >= search_hot_popularity();
    INSERT INTO search_dictionary (term)
    SELECT DISTINCT part FROM package_name_parts WHERE package_id = ANY (ids)
    ON CONFLICT DO NOTHING;
$$;

-- As in 000005, and the postings follow.
CREATE OR REPLACE FUNCTION package_search_upsert(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO package_search (package_id, canonical_name, popularity, document, filters)
    SELECT p.id, p.canonical_name, package_popularity(COALESCE(d.recent_downloads, 0)),
           package_search_document(p.name, p.keywords, p.description, p.readme),
           f.filters
    FROM packages p LEFT JOIN package_downloads d ON d.package_id = p.id
    JOIN package_filter_terms f ON f.package_id = p.id
    WHERE p.id = ANY (ids) AND p.removed_at IS NULL
    ON CONFLICT (package_id) DO UPDATE
    SET canonical_name = excluded.canonical_name,
        popularity = excluded.popularity,
        document = excluded.document,
        filters = excluded.filters;
    DELETE FROM package_name_parts WHERE package_id = ANY (ids);
    INSERT INTO package_name_parts (part, popularity, package_id, canonical_name)
    SELECT DISTINCT part, s.popularity, s.package_id, s.canonical_name
    FROM package_search s, unnest(string_to_array(translate(s.canonical_name, '/', '-'), '-')) part
    WHERE s.package_id = ANY (ids) AND part <> '';
    SELECT search_postings_refresh(ids);
$$;

CREATE OR REPLACE FUNCTION packages_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.removed_at IS NOT NULL THEN
        DELETE FROM package_search WHERE package_id = NEW.id;
        DELETE FROM package_name_parts WHERE package_id = NEW.id;
        DELETE FROM search_hot_terms WHERE package_id = NEW.id;
    ELSE
        PERFORM package_search_upsert(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END
$$;

-- Owners are a filter (`owner:`): the filter terms follow owner changes.
CREATE FUNCTION package_owners_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE package_search s SET filters = f.filters
    FROM package_filter_terms f
    WHERE f.package_id = s.package_id AND s.package_id IN (SELECT package_id FROM changed);
    RETURN NULL;
END
$$;
CREATE TRIGGER package_owners_search_insert AFTER INSERT ON package_owners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_owners_search();
CREATE TRIGGER package_owners_search_delete AFTER DELETE ON package_owners
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION package_owners_search();

-- As in 000005; the postings of packages whose bucket moved follow (bounded:
-- a bucket is a quarter octave, so a flush or the daily sweep rewrites only
-- the packages whose popularity really changed).
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
    -- Hot postings: dropped when the bucket moved, rewritten when still hot.
    DELETE FROM search_hot_terms h USING package_search s
    WHERE s.package_id = h.package_id AND h.package_id = ANY (ids) AND h.popularity <> s.popularity;
    INSERT INTO search_hot_terms (term, popularity, package_id)
    SELECT t.term, s.popularity, s.package_id
    FROM package_search s, unnest(tsvector_to_array(s.document)) AS t(term)
    WHERE s.package_id = ANY (ids) AND s.popularity >= search_hot_popularity()
      AND NOT EXISTS (SELECT 1 FROM search_hot_terms h WHERE h.package_id = s.package_id);
$$;

-- Existing rows.
UPDATE package_search s SET filters = f.filters FROM package_filter_terms f WHERE f.package_id = s.package_id;
SELECT search_postings_refresh(ARRAY(SELECT package_id FROM package_search));
