-- Search that does not visit every match. The search document moves off the
-- wide packages row (README, URLs, …) into a narrow table next to a coarse
-- popularity, so a common word's matches can be walked most-popular-first and
-- the walk stops after a bounded window; the page is ranked inside it.
CREATE TABLE package_search (
    package_id     BIGINT PRIMARY KEY REFERENCES packages (id) ON DELETE CASCADE,
    canonical_name TEXT NOT NULL,
    -- round(4 * log2(1 + recent_downloads)): quarter-octave steps, so the row
    -- (and its GIN entries) is rewritten only when popularity really moves,
    -- not on every download flush. It only chooses candidates; the order uses
    -- the live rollup.
    popularity     SMALLINT NOT NULL DEFAULT 0,
    -- The weighted document of 000003 (name A, keywords B, description C, README D).
    document       tsvector NOT NULL
);
CREATE INDEX package_search_document ON package_search USING gin (document);
CREATE INDEX package_search_popularity ON package_search (popularity DESC, package_id);

-- Each `-`/`/` part of each canonical name, with the name and popularity in
-- the index: a name prefix (`ht` -> `http`, `sema/ht` -> `sema/http`) is an
-- index-only range scan, however many names share the part.
CREATE TABLE package_name_parts (
    part           TEXT NOT NULL,
    popularity     SMALLINT NOT NULL,
    package_id     BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    canonical_name TEXT NOT NULL
);
CREATE INDEX package_name_parts_part
    ON package_name_parts (part text_pattern_ops, popularity DESC) INCLUDE (package_id, canonical_name);
CREATE INDEX package_name_parts_package ON package_name_parts (package_id);

CREATE FUNCTION package_popularity(recent BIGINT) RETURNS SMALLINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT round(4 * log(2, 1 + greatest(recent, 0)::numeric))::smallint
$$;

-- Rows for these packages, from their current fields and rollup (publish,
-- a rename of fields, the bulk seeder after its COPY).
CREATE FUNCTION package_search_upsert(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$
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

CREATE FUNCTION packages_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM package_search_upsert(ARRAY(SELECT id FROM added));
    RETURN NULL;
END
$$;
CREATE TRIGGER packages_search_insert AFTER INSERT ON packages
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION packages_search_insert();

-- Searchable fields changed: new document. Removed: no longer searchable.
-- Download counts live elsewhere and never fire this.
CREATE FUNCTION packages_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER packages_search_update
    AFTER UPDATE OF name, canonical_name, keywords, description, readme, removed_at ON packages
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.canonical_name IS DISTINCT FROM NEW.canonical_name
          OR OLD.keywords IS DISTINCT FROM NEW.keywords OR OLD.description IS DISTINCT FROM NEW.description
          OR OLD.readme IS DISTINCT FROM NEW.readme OR OLD.removed_at IS DISTINCT FROM NEW.removed_at)
    EXECUTE FUNCTION packages_search_update();

-- As in 000003, and the popularity follows when it moves a step.
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

-- The 90-day window moves every day, also for packages nobody downloaded:
-- the daily sweep recomputes the rollups not refreshed today, a batch per
-- call (short transactions). One sweeper at a time across instances: the
-- others get -1 and leave it.
CREATE FUNCTION sweep_package_downloads(batch INT) RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[];
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('sema-pkg: sweep package_downloads')) THEN
        RETURN -1;
    END IF;
    ids := ARRAY(SELECT package_id FROM package_downloads WHERE refreshed_on < current_date
                 ORDER BY refreshed_on, package_id LIMIT batch);
    PERFORM refresh_package_downloads(ids);
    RETURN cardinality(ids);
END
$$;

-- Exact names and `name%` prefixes off a btree (index-only for the exact name).
CREATE INDEX packages_canonical_pattern ON packages (canonical_name text_pattern_ops);
-- Typos (`jsno` -> `json`) keep 000003's GIN trigram index on packages: a
-- GiST trigram index ordered by distance (`<->`) was tried and was slower at
-- 100k (47 ms against 2.5 ms for `jsno`) and no better at 1M.

-- The document now lives in package_search.
DROP INDEX packages_search_document;
ALTER TABLE packages DROP COLUMN search_document;

-- Existing rows.
SELECT package_search_upsert(ARRAY(SELECT id FROM packages));
